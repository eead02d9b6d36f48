import { Writable } from 'node:stream';
import type { CommandResult, CommandRunner, SyncTimer, SysctlAccess } from '@podid/iptables';

/**
 * A small in-memory `iptables -t nat` + `conntrack`: enough state (the chain's lines, the PREROUTING jump, whether
 * the filter table's reject chain and its jumps exist) for the manager's sequence to be observable, with a switch to
 * make one command fail.
 */
export class FakeNetfilter implements CommandRunner {
  chain: string[] | undefined;
  jump = false;
  /** The `aad-metadata-reject` chain with its INPUT and FORWARD jumps. */
  reject = false;
  readonly commands: string[] = [];
  failing: RegExp | undefined;

  async run(file: string, args: readonly string[], options: { input?: string } = {}): Promise<CommandResult> {
    const line = [file, ...args].join(' ');
    this.commands.push(line);
    if (this.failing?.test(line)) return { stdout: '', stderr: 'simulated failure', exitCode: 4 };
    const ok = (stdout = '', stderr = ''): CommandResult => ({ stdout, stderr, exitCode: 0 });
    if (file === 'conntrack') return { stdout: '', stderr: '3 flow entries have been deleted.', exitCode: 0 };
    if (file === 'iptables-restore') {
      const lines = (options.input ?? '').split('\n');
      if (lines.includes('-X aad-metadata-reject')) this.reject = false;
      if (lines.some((line) => line.startsWith('-A aad-metadata-reject '))) this.reject = true;
      if (lines.includes('-D PREROUTING -j aad-metadata')) this.jump = false;
      if (lines.includes('-X aad-metadata')) this.chain = undefined;
      const rules = lines.filter((rule) => rule.startsWith('-A aad-metadata '));
      if (rules.length > 0) this.chain = ['-N aad-metadata', ...rules];
      if (lines.includes('-I PREROUTING 1 -j aad-metadata')) this.jump = true;
      return ok();
    }
    const rest = args.filter((arg) => arg !== '-w').join(' ');
    if (rest === '-t filter -S aad-metadata-reject') {
      return this.reject
        ? ok('-N aad-metadata-reject\n-A aad-metadata-reject -j REJECT --reject-with tcp-reset\n')
        : { stdout: '', stderr: 'No chain', exitCode: 1 };
    }
    if (rest === '-t filter -S INPUT' || rest === '-t filter -S FORWARD') {
      const hook = args[args.length - 1];
      return ok(`-P ${hook} ACCEPT\n${this.reject ? `-A ${hook} -j aad-metadata-reject\n` : ''}`);
    }
    if (rest === '-t nat -S aad-metadata') {
      return this.chain ? ok(`${this.chain.join('\n')}\n`) : { stdout: '', stderr: 'No chain', exitCode: 1 };
    }
    if (rest === '-t nat -S PREROUTING')
      return ok(`-P PREROUTING ACCEPT\n${this.jump ? '-A PREROUTING -j aad-metadata\n' : ''}`);
    if (rest === '-t nat -C PREROUTING -j aad-metadata')
      return this.jump ? ok() : { stdout: '', stderr: '', exitCode: 1 };
    if (rest === '-t nat -I PREROUTING 1 -j aad-metadata') {
      this.jump = true;
      return ok();
    }
    if (rest === '-t nat -D PREROUTING -j aad-metadata') {
      this.jump = false;
      return ok();
    }
    if (rest === '-t nat -F aad-metadata') return ok();
    if (rest === '-t nat -X aad-metadata') {
      this.chain = undefined;
      return ok();
    }
    throw new Error(`unexpected command ${line}`);
  }
}

export class ManualTimer implements SyncTimer {
  ticks: Array<() => void> = [];
  intervals: number[] = [];
  every(intervalMs: number, tick: () => void) {
    this.intervals.push(intervalMs);
    this.ticks.push(tick);
    return () => {
      this.ticks = this.ticks.filter((candidate) => candidate !== tick);
    };
  }
}

export function memorySysctl(initial: Record<string, string>): SysctlAccess & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    read: async (key) => values[key] ?? '0',
    write: async (key, value) => {
      values[key] = value;
    },
  };
}

/** Collects JSON log lines (a pino destination) as parsed records. */
export class JsonLogCapture {
  readonly records: Array<Record<string, unknown>> = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') this.records.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });

  messages(): string[] {
    return this.records.map((record) => String(record['msg']));
  }
}

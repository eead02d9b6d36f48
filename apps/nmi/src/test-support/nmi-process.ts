import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The built program the integration tests run, exactly as an operator would. */
export const NMI_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const SOURCE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Fails with instructions when the app has not been built, or was built before its sources last changed: the
 * integration tests run `dist/main.js` as a child process (`npm test` builds first; plain jest does not).
 */
export function requireBuiltNmi(): void {
  const hint = 'build it first: cd /work/main && npx turbo run build --filter=@podid/nmi...';
  if (!existsSync(NMI_MAIN)) throw new Error(`${NMI_MAIN} is missing; ${hint}`);
  const built = statSync(NMI_MAIN).mtimeMs;
  for (const file of readdirSync(SOURCE_DIR)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const compiled = `${NMI_MAIN.slice(0, -'main.js'.length)}${file.slice(0, -3)}.js`;
    if (
      !existsSync(compiled) ||
      statSync(`${SOURCE_DIR}/${file}`).mtimeMs > Math.max(built, statSync(compiled).mtimeMs)
    ) {
      throw new Error(`apps/nmi/dist is older than src/${file}; ${hint}`);
    }
  }
}

/** One JSON log line of NMI (`--log-format=json`). */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface NmiChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every JSON log line so far. */
  readonly logs: readonly LogRecord[];
  /** Raw stdout and any non-JSON stderr. */
  readonly stdout: () => string;
  readonly otherStderr: () => string;
  /** Resolves with the first log record (past or future) whose message matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<LogRecord>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnNmiOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** A command to run node under, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  readonly commandPrefix?: readonly string[];
}

/** Starts `node dist/main.js ...args`; the caller must `stop()` it (afterAll). */
export function spawnNmi(args: readonly string[], options: SpawnNmiOptions = {}): NmiChild {
  const prefix = options.commandPrefix ?? [];
  const [command, ...rest] = [...prefix, process.execPath, NMI_MAIN, ...args] as [string, ...string[]];
  const child = spawn(command, rest, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const logs: LogRecord[] = [];
  let stdout = '';
  let otherStderr = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const record = JSON.parse(line) as LogRecord;
      if (typeof record === 'object' && record !== null && typeof record.msg === 'string') {
        logs.push(record);
        notify();
        return;
      }
    } catch {
      // not JSON: keep as text
    }
    otherStderr += `${line}\n`;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      resolve({ code, signal });
      notify();
    });
  });

  const waitForLog = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<LogRecord>((resolve, reject) => {
      let next = 0;
      const check = () => {
        for (; next < logs.length; next++) {
          const record = logs[next] as LogRecord;
          if (pattern.test(record.msg)) return finish(() => resolve(record));
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          finish(() =>
            reject(new Error(`NMI exited before logging ${pattern}: ${otherStderr}${JSON.stringify(logs.slice(-5))}`)),
          );
        }
        return undefined;
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`NMI did not log ${pattern}: ${JSON.stringify(logs.slice(-5))}`))),
        timeoutMs,
      );
      function finish(settle: () => void) {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      }
      waiters.add(check);
      check();
    });

  return {
    child,
    logs,
    stdout: () => stdout,
    otherStderr: () => otherStderr,
    waitForLog,
    exited,
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** Runs NMI to completion (flag errors, `--version`), with a safety timeout. */
export async function runNmiToExit(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const nmi = spawnNmi(args, { env });
  const timer = setTimeout(() => nmi.child.kill('SIGKILL'), 20_000);
  const { code } = await nmi.exited;
  clearTimeout(timer);
  return {
    code,
    stdout: nmi.stdout(),
    stderr: nmi.otherStderr() + nmi.logs.map((record) => `${JSON.stringify(record)}\n`).join(''),
  };
}

/**
 * A child process the sandbox owns (MIC, an NMI): started with `node <script>`, its output kept in a log file and the
 * last lines in memory (shown when it fails to start), readiness read from its /healthz probe, and stopped with
 * SIGTERM, then SIGKILL when it does not exit in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';

export class SandboxProcessError extends Error {
  constructor(
    readonly code: 'process_missing' | 'process_exited' | 'process_not_ready',
    message: string,
  ) {
    super(message);
    this.name = 'SandboxProcessError';
  }
}

export interface ManagedProcessOptions {
  /** Short name for messages, e.g. `mic` or `nmi vmss-1-node-0`. */
  name: string;
  /** The built script, e.g. `apps/mic/dist/main.js`. */
  script: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go. */
  logFile: string;
  /** `http://127.0.0.1:<port>` of the /healthz probe, when known at start (else see `useProbe`). */
  probeUrl?: string;
  /** Prefix the command (netns mode: `ip netns exec <ns>`). */
  wrapper?: readonly string[];
  /** Called with each output line (the CLI's --verbose). */
  onLine?: (line: string) => void;
  /** Reads /healthz another way (netns mode: the probe port is inside a namespace). */
  probe?: () => Promise<string | undefined>;
}

const TAIL_LINES = 40;

export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly tail: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly lineListeners = new Set<(line: string) => void>();
  private probeTarget: (() => Promise<string | undefined>) | undefined;

  private constructor(readonly options: ManagedProcessOptions) {
    const probeUrl = options.probeUrl;
    this.probeTarget = options.probe ?? (probeUrl === undefined ? undefined : () => fetchProbe(probeUrl));
    this.log = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
    const command = options.wrapper?.length ? options.wrapper[0]! : process.execPath;
    const args = options.wrapper?.length
      ? [...options.wrapper.slice(1), process.execPath, options.script, ...options.args]
      : [options.script, ...options.args];
    this.child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        options.onLine?.(line);
        for (const listener of this.lineListeners) listener(line);
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      this.child.once('error', (error) => {
        this.tail.push(`spawn failed: ${error.message}`);
        this.exitInfo = { code: null, signal: null };
        resolve();
      });
    });
  }

  static start(options: ManagedProcessOptions): ManagedProcess {
    if (!existsSync(options.script)) {
      throw new SandboxProcessError(
        'process_missing',
        `${options.script} does not exist: build the workspace first (npm run build, or npx turbo run build)`,
      );
    }
    return new ManagedProcess(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exitCode(): number | null | undefined {
    return this.exitInfo?.code;
  }

  /** The last lines the process wrote. */
  recentOutput(): string {
    return this.tail.join('\n');
  }

  /** Resolves when the process has exited (for any reason). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** The probe's body, or undefined while nothing answers (or no probe is known yet). */
  async probe(): Promise<string | undefined> {
    return this.probeTarget?.();
  }

  /** Sets how /healthz is read once its port is known (children listen on port 0 and log the port they got). */
  useProbe(probe: string | (() => Promise<string | undefined>)): void {
    this.probeTarget = typeof probe === 'string' ? () => fetchProbe(probe) : probe;
  }

  /**
   * Waits for an output line matching `pattern` (among the recent lines or those still to come) and returns the
   * whole line. Fails with the process's last output if it exits first or the deadline passes.
   */
  waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const seen = this.tail.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        this.lineListeners.delete(listener);
        clearTimeout(timer);
        outcome();
      };
      const listener = (line: string) => {
        if (pattern.test(line)) finish(() => resolve(line));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new SandboxProcessError(
                'process_not_ready',
                `${this.options.name} printed no line matching ${pattern} in ${timeoutMs} ms; last output:\n${this.recentOutput()}`,
              ),
            ),
          ),
        timeoutMs,
      );
      this.lineListeners.add(listener);
      void this.exited.then(() =>
        finish(() =>
          reject(
            new SandboxProcessError(
              'process_exited',
              `${this.options.name} exited (code ${this.exitInfo?.code}, signal ${this.exitInfo?.signal}) while starting; last output:\n${this.recentOutput()}`,
            ),
          ),
        ),
      );
    });
  }

  /**
   * Waits until /healthz answers (`listening`) or answers `Active` (`active`: NMI ready, MIC leading). Fails with the
   * process's last output if it exits or the deadline passes.
   */
  async waitUntil(state: 'listening' | 'active', timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) {
        throw new SandboxProcessError(
          'process_exited',
          `${this.options.name} exited (code ${this.exitInfo?.code}, signal ${this.exitInfo?.signal}) while starting; last output:\n${this.recentOutput()}`,
        );
      }
      const body = await this.probe();
      if (body !== undefined && (state === 'listening' || body.trim() === 'Active')) return;
      if (Date.now() > deadline) {
        throw new SandboxProcessError(
          'process_not_ready',
          `${this.options.name} was not ${state} after ${timeoutMs} ms; last output:\n${this.recentOutput()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.probe ? 200 : 50));
    }
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => {
        if (this.running) this.child.kill('SIGKILL');
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }

  /** Kills at once (a crash, for leader-change tests). */
  async kill(): Promise<void> {
    return this.stop(0, 'SIGKILL');
  }
}

async function fetchProbe(probeUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${probeUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

/** A port nobody listens on right now (the children need fixed port numbers on their command lines). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

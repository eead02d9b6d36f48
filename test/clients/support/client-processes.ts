/**
 * Running the real Python and az clients from the jest suites: which of them this machine has (each suite skips with
 * one line naming what is missing), and a bounded child process (killed with its process group at the deadline)
 * whose `RESULT <json>` line carries what the client observed.
 */
import { describe } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter, where apt put python3-kubernetes/-azure/-msal (another python may come first on PATH). */
export const PYTHON = '/usr/bin/python3';

/** The scripts the suites run, next to this directory. */
export const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'python');

export type Availability = { ok: true } | { ok: false; reason: string };

const INSTALL_HINT = 'apt-get install -y python3-kubernetes python3-azure python3-msal azure-cli';

/** Whether `/usr/bin/python3` can import every module (synchronous: suites decide at registration time). */
export function pythonModules(modules: readonly string[]): Availability {
  const run = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) return { ok: false, reason: `${PYTHON} cannot run (${run.error.message}); ${INSTALL_HINT}` };
  if (run.status !== 0) {
    const last = run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`;
    return { ok: false, reason: `${PYTHON} cannot import ${modules.join(', ')} (${last}); ${INSTALL_HINT}` };
  }
  return { ok: true };
}

/** Whether a Python expression is true (e.g. a feature of the installed library version). */
export function pythonSays(expression: string, imports: string): boolean {
  const run = spawnSync(PYTHON, ['-c', `${imports}\nimport sys\nsys.exit(0 if (${expression}) else 1)`], {
    timeout: 30_000,
  });
  return run.status === 0;
}

export function azCli(): Availability {
  const run = spawnSync('sh', ['-c', 'command -v az'], { encoding: 'utf8' });
  return run.status === 0 ? { ok: true } : { ok: false, reason: `az not found on PATH; ${INSTALL_HINT}` };
}

/** Every availability that is not ok, as one reason; ok when all are. */
export function allOf(...checks: Availability[]): Availability {
  const reasons = checks.flatMap((check) => (check.ok ? [] : [check.reason]));
  return reasons.length === 0 ? { ok: true } : { ok: false, reason: reasons.join('; ') };
}

/** `describe` when the tools are there; otherwise skipped with ONE line saying what is missing. */
export function describeIfAvailable(name: string, availability: Availability, body: () => void): void {
  if (availability.ok) {
    describe(name, body);
    return;
  }
  console.warn(`SKIP ${name}: ${availability.reason}`);
  describe.skip(name, body);
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed (with its children) after this long; the run then reports `timedOut`. */
  timeoutMs: number;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
}

export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<ProcessRun> {
  const [command, commandArgs] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, file, ...args]]
    : [file, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so the deadline takes any helper it started too
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The JSON of the run's `RESULT ` line; throws with the run's output when there is none. */
export function resultOf<T>(run: ProcessRun, what: string): T {
  const line = /^RESULT (.*)$/m.exec(run.stdout)?.[1];
  if (line === undefined) {
    throw new Error(
      `${what} printed no RESULT line (exit ${run.code}${run.timedOut ? ', killed at its deadline' : ''}): ` +
        `${run.stderr.slice(-1500)}${run.stdout.slice(-500)}`,
    );
  }
  return JSON.parse(line) as T;
}

/** The claims of a JWT access token (no signature check: the suites check who the token names). */
export function claimsOfJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

import { execFile } from 'node:child_process';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface ExecOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** Runs a command and resolves with its output and exit code; only a failure to start rejects. */
export function runCommand(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 30_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code === 'string') {
          reject(new Error(`could not run ${[file, ...args].join(' ')}: ${error.message}`));
          return;
        }
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ stdout, stderr, exitCode });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit rejects with the command line and stderr. */
export async function runOrThrow(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
  const result = await runCommand(file, args, options);
  if (result.exitCode !== 0) {
    throw new Error(`${[file, ...args].join(' ')} exited with ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result;
}

/** Runs `file args` inside network namespace `ns`. */
export function execInNamespace(
  ns: string,
  file: string,
  args: readonly string[],
  options?: ExecOptions,
): Promise<ExecResult> {
  return runCommand('ip', ['netns', 'exec', ns, file, ...args], options);
}

import { spawn } from 'node:child_process';
import { IptablesError } from './errors.js';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** Written to the command's stdin (iptables-restore reads its rules from there). */
  readonly input?: string;
}

/**
 * Runs one external command. A non-zero exit is a normal result (callers decide what it means: `iptables -C`
 * exits 1 when a rule is absent); only a command that cannot be started at all throws (`binary_missing`).
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** How the command really runs (with any prefix), for error messages. */
  commandLine?(file: string, args: readonly string[]): string;
}

export function formatCommandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

/** The production runner: spawns the binary directly (no shell), collects stdout and stderr. */
export function createProcessRunner(): CommandRunner {
  return {
    run(file, args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        // A command that exits before reading stdin makes the write fail with EPIPE; its exit code tells the story.
        child.stdin.on('error', () => {});
        child.on('error', (error: NodeJS.ErrnoException) => {
          const command = formatCommandLine(file, args);
          // EACCES: execvp hit a PATH directory it may not search (non-root user) and found the binary nowhere else,
          // or the file is not executable; either way this binary cannot be used.
          if (error.code === 'ENOENT' || error.code === 'EACCES') {
            reject(
              new IptablesError('binary_missing', `${file} not found or not executable (${error.code}): ${command}`, {
                command,
                cause: error,
              }),
            );
          } else {
            reject(
              new IptablesError('command_failed', `could not start ${command}: ${error.message}`, {
                command,
                cause: error,
              }),
            );
          }
        });
        child.on('close', (code, signal) => {
          resolve({
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            exitCode: code ?? (signal === null ? 1 : 128),
          });
        });
        child.stdin.end(options.input ?? '');
      });
    },
  };
}

// `ip netns exec NS missing-binary` exits non-zero with this text instead of failing to spawn.
const EXEC_MISSING = /exec of "([^"]+)" failed: No such file or directory/;

/**
 * Runs every command behind a fixed prefix, e.g. `['ip', 'netns', 'exec', 'node-ns']`, so the same code that
 * manages the host in production manages a test namespace under test.
 */
export function withCommandPrefix(runner: CommandRunner, prefix: readonly string[]): CommandRunner {
  const [prefixFile, ...prefixArgs] = prefix;
  if (prefixFile === undefined) return runner;
  return {
    commandLine: (file, args) => formatCommandLine(prefixFile, [...prefixArgs, file, ...args]),
    async run(file, args, options) {
      const fullArgs = [...prefixArgs, file, ...args];
      const result = await runner.run(prefixFile, fullArgs, options);
      const missing = result.exitCode !== 0 ? EXEC_MISSING.exec(result.stderr) : null;
      if (missing !== null && missing[1] === file) {
        const command = formatCommandLine(prefixFile, fullArgs);
        throw new IptablesError('binary_missing', `${file} not found (is it installed and on PATH?): ${command}`, {
          command,
          exitCode: result.exitCode,
          stderr: result.stderr,
        });
      }
      return result;
    },
  };
}

/** Runs a command and turns a non-zero exit into a `command_failed` error carrying the whole story. */
export async function runChecked(
  runner: CommandRunner,
  file: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<CommandResult> {
  const result = await runner.run(file, args, options);
  if (result.exitCode !== 0) throw commandFailed(runner, file, args, result);
  return result;
}

export function commandFailed(
  runner: CommandRunner,
  file: string,
  args: readonly string[],
  result: CommandResult,
): IptablesError {
  const command = runner.commandLine?.(file, args) ?? formatCommandLine(file, args);
  const detail = result.stderr.trim() || result.stdout.trim() || '(no output)';
  return new IptablesError('command_failed', `${command} exited with code ${result.exitCode}: ${detail}`, {
    command,
    exitCode: result.exitCode,
    stderr: result.stderr,
  });
}

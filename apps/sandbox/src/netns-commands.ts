/** Running `ip`, `curl` and friends, inside or outside a network namespace. */
import { execFile } from 'node:child_process';

export class NetnsCommandError extends Error {
  readonly code = 'netns_command_failed';
  constructor(message: string) {
    super(message);
    this.name = 'NetnsCommandError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function runCommand(file: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code === 'string') {
          reject(new NetnsCommandError(`could not run ${file}: ${error.message}`));
          return;
        }
        resolve({ stdout, stderr, exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1 });
      },
    );
  });
}

/** `ip <args>`; a non-zero exit rejects with the command and its stderr. */
export async function ip(args: readonly string[]): Promise<void> {
  const result = await runCommand('ip', args);
  if (result.exitCode !== 0) {
    throw new NetnsCommandError(`ip ${args.join(' ')} exited with ${result.exitCode}: ${result.stderr.trim()}`);
  }
}

/** A command inside a namespace (`ip netns exec <ns> ...`). */
export function inNamespace(ns: string, file: string, args: readonly string[], timeoutMs?: number) {
  return runCommand('ip', ['netns', 'exec', ns, file, ...args], timeoutMs);
}

export interface NamespaceHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTP GET from inside a namespace, with curl (a process cannot switch its own network namespace). Answers
 * undefined when nothing answered.
 */
export async function httpGetInNamespace(
  ns: string,
  url: string,
  headers: Record<string, string> = {},
  timeoutSeconds = 120,
): Promise<NamespaceHttpAnswer | undefined> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const result = await inNamespace(
    ns,
    'curl',
    ['-s', '-i', '--max-time', String(timeoutSeconds), ...headerArgs, url],
    (timeoutSeconds + 5) * 1000,
  );
  if (result.exitCode !== 0 || result.stdout === '') return undefined;
  const split = result.stdout.indexOf('\r\n\r\n');
  const head = split < 0 ? result.stdout : result.stdout.slice(0, split);
  const body = split < 0 ? '' : result.stdout.slice(split + 4);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const responseHeaders: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) responseHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers: responseHeaders, body };
}

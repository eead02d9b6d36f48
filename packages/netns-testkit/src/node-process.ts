import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { trackProcess } from './cleanup-registry.js';

export interface SpawnNodeOptions {
  /** A script file to run; or `code`, run as an ES module with `node --input-type=module -e`. */
  readonly script?: string;
  readonly code?: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Resolve only once a stdout line matches this (e.g. /^LISTENING (\d+)$/). */
  readonly readyPattern?: RegExp;
  readonly readyTimeoutMs?: number;
}

export interface NodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The match of `readyPattern`, when one was given. */
  readonly ready: RegExpExecArray | undefined;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  readonly stderr: () => string;
  /** Resolves with the first line (already seen or future) after line index `from` that matches. */
  waitForLine(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<RegExpExecArray>;
  writeLine(line: string): void;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts a Node process inside a network namespace (`ip netns exec NS node ...`; `ip` execs node, so the child's
 * pid is node's own and signals reach it directly).
 */
export async function spawnNode(ns: string, options: SpawnNodeOptions): Promise<NodeProcess> {
  const program =
    options.code !== undefined
      ? ['--input-type=module', '-e', options.code]
      : options.script !== undefined
        ? [options.script]
        : undefined;
  if (program === undefined) throw new Error('spawnNode needs a script or code');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...program, ...(options.args ?? [])], {
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackProcess(child);
  child.stdin.on('error', () => {});

  const lines: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    notify();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('close', notify);

  const waitForLine: NodeProcess['waitForLine'] = (pattern, waitOptions = {}) =>
    new Promise((resolve, reject) => {
      const timeoutMs = waitOptions.timeoutMs ?? 10_000;
      let next = waitOptions.from ?? 0;
      const check = () => {
        for (; next < lines.length; next++) {
          const match = pattern.exec(lines[next] ?? '');
          if (match !== null) return finish(() => resolve(match));
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          finish(() =>
            reject(
              new Error(
                `node in ${ns} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}: ${stderr.trim()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`node in ${ns} printed no line matching ${pattern} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const grace = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(grace);
    }
  };

  let ready: RegExpExecArray | undefined;
  if (options.readyPattern !== undefined) {
    try {
      ready = await waitForLine(options.readyPattern, { timeoutMs: options.readyTimeoutMs ?? 10_000 });
    } catch (error) {
      await kill();
      throw error;
    }
  }

  return {
    child,
    ready,
    lines,
    stderr: () => stderr,
    waitForLine,
    writeLine: (line) => child.stdin.write(`${line}\n`),
    kill,
  };
}

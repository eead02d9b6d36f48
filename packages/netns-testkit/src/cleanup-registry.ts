import { type ChildProcess, execFileSync } from 'node:child_process';

/**
 * Everything a test created that must not outlive it. Normal teardown removes entries one by one; the process
 * 'exit' and signal handlers remove whatever is left when a test run is interrupted or crashes.
 */
const namespaces = new Set<string>();
const processes = new Set<ChildProcess>();
let handlersInstalled = false;

function deleteNamespaceSync(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // Already gone, or `ip` vanished; nothing better to do while exiting.
  }
}

/** Synchronous on purpose: 'exit' handlers cannot await. */
export function cleanupEverythingSync(): void {
  for (const child of processes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  processes.clear();
  for (const ns of namespaces) deleteNamespaceSync(ns);
  namespaces.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupEverythingSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupEverythingSync();
      // Re-raise so the exit status still says "killed by signal", as without our handler.
      process.kill(process.pid, signal);
    });
  }
}

export function trackNamespace(ns: string): void {
  installHandlers();
  namespaces.add(ns);
}

export function untrackNamespace(ns: string): void {
  namespaces.delete(ns);
}

export function trackProcess(child: ChildProcess): void {
  installHandlers();
  processes.add(child);
  child.once('exit', () => processes.delete(child));
}

#!/usr/bin/env node
/** `kube-emulator`: starts the emulator and prints the kubeconfig path; stops on SIGINT/SIGTERM. */
import { Command, InvalidArgumentError } from 'commander';
import { startKubeEmulator } from './start-emulator.js';

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

const program = new Command('kube-emulator')
  .description(
    'A Kubernetes API server with real list/watch semantics, for tests and local sandboxes (plain HTTP, no RBAC)',
  )
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <port>', 'port (0 = ephemeral)', integer('--port', 0), 0)
  .option('--token <token>', 'bearer token written into the kubeconfig')
  .option('--require-token', 'refuse requests without that bearer token (401)', false)
  .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a temporary file)')
  .option('--history-size <n>', 'watch history length', integer('--history-size', 1), 10_000)
  .option(
    '--bookmark-interval-ms <ms>',
    'interval between watch BOOKMARK events',
    integer('--bookmark-interval-ms', 1),
    60_000,
  )
  .action(async (opts: Record<string, unknown>) => {
    const emulator = await startKubeEmulator({
      host: String(opts['host']),
      port: Number(opts['port']),
      requireToken: opts['requireToken'] === true,
      historySize: Number(opts['historySize']),
      bookmarkIntervalMs: Number(opts['bookmarkIntervalMs']),
      ...(typeof opts['token'] === 'string' ? { token: opts['token'] } : {}),
      ...(typeof opts['kubeconfig'] === 'string' ? { kubeconfigPath: opts['kubeconfig'] } : {}),
    });
    process.stdout.write(`${emulator.kubeconfigPath}\n`);
    process.stderr.write(`kube-emulator listening on ${emulator.url}\n`);
    const stop = (): void => {
      emulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`kube-emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

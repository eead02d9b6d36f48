/**
 * The `kube-emulator` command: parses flags (commander), starts the emulator, prints the kubeconfig path on stdout.
 * Kept apart from cli.ts so tests can run it in-process.
 */
import { Command, InvalidArgumentError } from 'commander';
import { type KubeEmulator, startKubeEmulator } from './start-emulator.js';

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the command line; resolves with the running emulator once it listens. */
export async function runCli(argv: string[], output: CliOutput): Promise<KubeEmulator> {
  let started: KubeEmulator | undefined;
  const program = new Command('kube-emulator')
    .description(
      'A Kubernetes API server with real list/watch semantics, for tests and local sandboxes (plain HTTP, no RBAC)',
    )
    .exitOverride()
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr })
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
      started = await startKubeEmulator({
        host: String(opts['host']),
        port: Number(opts['port']),
        requireToken: opts['requireToken'] === true,
        historySize: Number(opts['historySize']),
        bookmarkIntervalMs: Number(opts['bookmarkIntervalMs']),
        ...(typeof opts['token'] === 'string' ? { token: opts['token'] } : {}),
        ...(typeof opts['kubeconfig'] === 'string' ? { kubeconfigPath: opts['kubeconfig'] } : {}),
      });
      output.stdout(`${started.kubeconfigPath}\n`);
      output.stderr(`kube-emulator listening on ${started.url}\n`);
    });
  await program.parseAsync(argv, { from: 'user' });
  if (started === undefined) throw new Error('kube-emulator did not start');
  return started;
}

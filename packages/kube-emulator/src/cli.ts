#!/usr/bin/env node
/** `kube-emulator`: starts the emulator and prints the kubeconfig path; stops on SIGINT/SIGTERM. */
import { CommanderError } from 'commander';
import { runCli } from './cli-program.js';

const output = { stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t) };

runCli(process.argv.slice(2), output).then(
  (emulator) => {
    const stop = (): void => {
      emulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (e: unknown) => {
    // Commander already printed help, version or the usage error.
    if (e instanceof CommanderError) process.exit(e.exitCode);
    process.stderr.write(`kube-emulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
import { CommanderError } from 'commander';
import { runCli } from './cli/run-cli.js';

try {
  const { emulator } = await runCli(process.argv);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`azure-emulator: ${(error as Error).message}\n`);
  process.exit(1);
}

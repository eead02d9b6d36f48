#!/usr/bin/env node
import { runCli } from './cli.js';

// Listen for Ctrl-C from the very start, so an interrupt during start-up still ends in an orderly close.
const stopped = new Promise<string>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
});

const code = await runCli({
  argv: process.argv.slice(2),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () => stopped,
});
process.exit(code);

#!/usr/bin/env node
import { runNmi } from './run-nmi.js';

const exitCode = await runNmi({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
});
// Exit explicitly: a keep-alive socket or an unfinished timer in a dependency must not keep a stopped agent alive.
process.exit(exitCode);

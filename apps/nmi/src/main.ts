#!/usr/bin/env node
import { runNmi } from './run-nmi.js';

const exitCode = await runNmi({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Asynchronous, batched log writes: the per-request line must not cost a write system call each. Buffered lines
  // are written out synchronously when the process exits below.
  logFd: process.stderr.fd,
  signals: process,
});
// Exit explicitly: a keep-alive socket or an unfinished timer in a dependency must not keep a stopped agent alive.
process.exit(exitCode);

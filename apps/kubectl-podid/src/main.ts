#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runCli } from './cli.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  homeDir: os.homedir(),
  nowMs: () => Date.now(),
  version,
});
process.exitCode = code;

#!/usr/bin/env node
import { createLogger, createPodIdentityMetrics, formatVersionLine, readBuildInfo } from '@podid/observability';
import { loadMicConfig } from './config.js';
import { runMic } from './mic-runtime.js';

async function main(): Promise<number> {
  const outcome = loadMicConfig({ argv: process.argv.slice(2), env: process.env });
  const build = readBuildInfo(new URL('../package.json', import.meta.url), '@podid/mic');
  switch (outcome.kind) {
    case 'help':
      process.stdout.write(outcome.text);
      return 0;
    case 'version':
      process.stdout.write(`${formatVersionLine(build)}\n`);
      return 0;
    case 'error':
      process.stderr.write(`mic: ${outcome.message}\nRun 'mic --help' for the list of flags.\n`);
      return 2;
  }
  const { config } = outcome;
  const logger = createLogger({ component: 'MIC', format: config.logFormat, verbosity: config.logVerbosity });
  logger.info({ version: build.version, commit: build.gitCommit, namespaced: config.namespaced }, 'starting MIC');

  const stop = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.once(name, () => {
      logger.info({ signal: name }, 'stopping');
      stop.abort();
    });
  }
  return runMic({ config, env: process.env, logger, metrics: createPodIdentityMetrics(), build, signal: stop.signal });
}

main().then(
  (code) => {
    // Exit now: keep-alive sockets of the Azure and Kubernetes clients must not hold a stopped MIC open.
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`mic: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

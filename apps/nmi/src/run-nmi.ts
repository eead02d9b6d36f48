import { formatVersionLine, readBuildInfo } from '@podid/observability/cli';
import { CLEANUP_COMMAND, runCleanup } from './cleanup-command.js';
import { loadNmiConfig } from './config.js';
import type { NmiAgent, NmiAgentOptions } from './nmi-agent.js';
import { errorMessage, NmiStartupError } from './startup-error.js';

/** The parts of `process` NMI uses, so the whole program can run inside a test. */
export interface NmiProcessIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /**
   * Where the log goes when given: this file descriptor, written asynchronously and flushed at exit (the real
   * process passes standard error's, 2). Without it, lines are written to `stderr` one by one (tests).
   */
  readonly logFd?: number;
  readonly signals: Pick<NodeJS.Process, 'on' | 'off'>;
  /** Ends the process at once (a fault outside request handling); default `process.exit`. */
  readonly exit?: (code: number) => never;
  /** Node plumbing to use instead of the real one (tests): iptables runner, resync timer, sysctl access. */
  readonly platform?: Pick<NmiAgentOptions, 'runner' | 'redirectTimer' | 'sysctl'>;
}

/** Upstream's exact shutdown line (spec §4); operators and pre-stop scripts look for it. */
export const TERMINATION_MESSAGE = 'handled termination, awaiting pod deletion';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * NMI from command line to exit code: 0 after a clean shutdown (and for `--help`/`--version`), 1 when start-up
 * fails or the redirect could not be removed on shutdown, 2 for a bad command line.
 */
export async function runNmi(io: NmiProcessIo): Promise<number> {
  if (io.argv[0] === CLEANUP_COMMAND) return runCleanup(io);
  const outcome = loadNmiConfig({ argv: io.argv, env: io.env });
  const version = readBuildInfo(new URL('../package.json', import.meta.url), '@podid/nmi', io.env);
  switch (outcome.kind) {
    case 'help':
      io.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
      return 0;
    case 'version':
      io.stdout.write(`${formatVersionLine(version)}\n`);
      return 0;
    case 'error':
      io.stderr.write(`${outcome.message}\n`);
      return 2;
    case 'ok':
      break;
  }
  const config = outcome.config;
  // Loaded only now: the Kubernetes, Azure and metrics libraries take a while to import, and `--version`, `--help`
  // and flag errors should answer at once.
  const [{ createLogger }, { startNmiAgent }] = await Promise.all([
    import('@podid/observability'),
    import('./nmi-agent.js'),
  ]);
  const log = createLogger({
    component: 'NMI',
    format: config.logFormat,
    verbosity: config.logVerbosity,
    destination: io.logFd === undefined ? io.stderr : { fd: io.logFd },
  });
  log.info(
    { version: version.version, commit: version.gitCommit, node: config.nodeName, mode: config.operationMode },
    'starting NMI',
  );

  // First signal: orderly shutdown. Second signal: skip the remaining wait.
  const shutdown = new AbortController();
  const hurry = new AbortController();
  const onSignal = (signal: ShutdownSignal) => {
    if (shutdown.signal.aborted) {
      log.warn({ signal }, 'second signal, exiting without further waiting');
      hurry.abort();
      return;
    }
    log.info({ signal }, 'received signal, shutting down');
    shutdown.abort(signal);
  };
  const handlers = SHUTDOWN_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) io.signals.on(signal, handler);
  // The last resort: an error that escapes a request's handling asynchronously costs that request, not the node's
  // tokens (a crash-looping NMI serves no pod). Anything else is a fault in the agent itself: log it and exit 1.
  const { isInRequestScope } = await import('@podid/imds-proxy');
  const onUncaught = (error: unknown) => {
    if (isInRequestScope()) {
      log.error({ err: error }, 'error raised while handling a request; NMI keeps serving');
      return;
    }
    log.fatal({ err: error }, 'uncaught error, exiting');
    (io.exit ?? process.exit)(1);
  };
  io.signals.on('uncaughtException', onUncaught);

  try {
    let agent: NmiAgent;
    try {
      agent = await startNmiAgent({
        ...io.platform,
        config,
        logger: log,
        version,
        signal: shutdown.signal,
      });
    } catch (error) {
      if (error instanceof NmiStartupError && error.code === 'aborted') {
        log.info('shut down during start-up');
        return 0;
      }
      log.fatal({ code: error instanceof NmiStartupError ? error.code : 'internal' }, errorMessage(error));
      return 1;
    }

    await new Promise<void>((resolve) => {
      if (shutdown.signal.aborted) resolve();
      else shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
    });

    agent.stopAccepting();
    const removed = await agent.leaveRedirect();
    log.info(TERMINATION_MESSAGE);
    await sleep(config.terminationWaitMs, hurry.signal);
    await agent.close();
    log.info({ exitCode: removed ? 0 : 1 }, 'NMI stopped');
    return removed ? 0 : 1;
  } finally {
    for (const [signal, handler] of handlers) io.signals.off(signal, handler);
    io.signals.off('uncaughtException', onUncaught);
  }
}

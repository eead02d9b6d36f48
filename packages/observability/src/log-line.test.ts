import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createLogger, logLine } from './logger.js';

function capture(format: 'json' | 'text', verbosity = 0) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: createLogger({ component: 'NMI', format, destination, verbosity }) };
}

/** Text lines without their `MMDD hh:mm:ss.uuuuuu` stamp, which differs between two calls. */
function unstamped(line: string | undefined): string {
  return String(line).replace(/^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}/, '$1<stamp>');
}

const FIELDS = {
  status: 404,
  route: '/metadata/identity/oauth2/token',
  durationMs: 1.234,
  podNamespace: 'apps',
  podName: 'web "1"',
  clientID: 'aaaa##### REDACTED #####4444',
  error: 'no azure identity found',
};

describe('logLine', () => {
  test('renders the same klog text line as pino + formatKlogLine, for each level', () => {
    for (const level of ['info', 'warn', 'error'] as const) {
      const viaPino = capture('text');
      const direct = capture('text');
      viaPino.logger[level](FIELDS, 'status (404) took 5 ns for req.method=GET');
      logLine(direct.logger, level, FIELDS, 'status (404) took 5 ns for req.method=GET');
      expect(direct.lines).toHaveLength(1);
      expect(unstamped(direct.lines[0])).toBe(unstamped(viaPino.lines[0]));
    }
  });

  test('redacts secret-named fields and honours the level', () => {
    const { lines, logger } = capture('text');
    logLine(logger, 'info', { token: 'eyJ.secret', status: 200 }, 'm');
    expect(lines[0]).toContain('token="[REDACTED]"');
    expect(lines[0]).not.toContain('eyJ.secret');
    logger.level = 'warn';
    logLine(logger, 'info', { status: 200 }, 'not shown');
    expect(lines).toHaveLength(1);
  });

  test('JSON loggers and children log through pino as usual', () => {
    const { lines, logger } = capture('json');
    logLine(logger, 'warn', { status: 404 }, 'm');
    expect(JSON.parse(String(lines[0]))).toMatchObject({ level: 40, status: 404, msg: 'm', component: 'NMI' });
    const text = capture('text');
    logLine(text.logger.child({ node: 'n1' }), 'info', { status: 200 }, 'child');
    expect(text.lines[0]).toMatch(/ nmi\] child node="n1" status=200\n$/);
  });
});

describe('an asynchronous file-descriptor destination', () => {
  // Runs the built logger (dist/): the package is built before its tests.
  test('loses no line when the process exits right after logging (process.exit, and exit on SIGTERM)', () => {
    const script = `
      const { createLogger, logLine } = await import(${JSON.stringify(new URL('../dist/logger.js', import.meta.url).href)});
      const logger = createLogger({ component: 'NMI', format: 'text', destination: { fd: 1 } });
      for (let i = 0; i < 20000; i++) logLine(logger, 'info', { i }, 'line');
      if (process.argv[1] === 'signal') {
        process.on('SIGTERM', () => process.exit(0));
        process.kill(process.pid, 'SIGTERM');
        setTimeout(() => {}, 10000);
      } else {
        process.exit(0);
      }`;
    for (const mode of ['exit', 'signal']) {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(run.stderr).toBe('');
      const lines = run.stdout.split('\n').filter((line) => line.includes('] line i='));
      expect(lines).toHaveLength(20000);
      expect(lines.at(-1)).toMatch(/ i=19999$/);
    }
  });
});

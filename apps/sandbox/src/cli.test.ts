import { describe, expect, test } from '@jest/globals';
import { runCli } from './cli.js';

function io(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      argv,
      out: (line: string) => out.push(line),
      err: (line: string) => err.push(line),
      untilStopped: () => Promise.resolve('SIGINT'),
    },
  };
}

describe('sandbox CLI arguments', () => {
  test('--help prints the options and exits 0 without starting anything', async () => {
    const { io: cliIo, out } = io(['--help']);
    expect(await runCli(cliIo)).toBe(0);
    expect(out.join('\n')).toContain('--arm-latency <duration>');
  });

  test('a bad duration is refused with exit code 2 and a message', async () => {
    const { io: cliIo, err } = io(['--arm-latency', 'soon']);
    expect(await runCli(cliIo)).toBe(2);
    expect(err.join('\n')).toContain('invalid duration "soon"');
  });

  test('an unknown option is refused with exit code 2', async () => {
    const { io: cliIo, err } = io(['--frobnicate']);
    expect(await runCli(cliIo)).toBe(2);
    expect(err.join('\n')).toContain("unknown option '--frobnicate'");
  });
});

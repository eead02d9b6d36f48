import { describe, expect, test } from '@jest/globals';
import { runCli } from './cli.js';
import type { SandboxOptions } from './sandbox-options.js';

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

describe('sandbox CLI options reach startSandbox', () => {
  test('--arm-latency, the cluster shape and extra flags are passed on; a failed start exits 1 with the reason', async () => {
    const { io: cliIo, err } = io([
      '--arm-latency',
      '5s',
      '--scale-sets',
      '3',
      '--nodes-per-scale-set',
      '4',
      '--vms',
      '0',
      '--identities',
      '5',
      '--mic-arg=--immutable-user-msis=abc',
      '--nmi-arg=--block-instance-metadata',
      '--no-demo',
    ]);
    const seen: SandboxOptions[] = [];
    const code = await runCli({
      ...cliIo,
      start: async (options) => {
        seen.push(options);
        throw Object.assign(new Error('emulator port in use'), { code: 'test' });
      },
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('The sandbox did not start: emulator port in use');
    expect(seen[0]).toMatchObject({
      armLatencyMs: 5000,
      world: { scaleSets: 3, nodesPerScaleSet: 4, virtualMachines: 0, identities: 5 },
      micArgs: ['--immutable-user-msis=abc'],
      nmiArgs: ['--block-instance-metadata'],
    });
    expect(seen[0]?.netns).toBeUndefined();
  });
});

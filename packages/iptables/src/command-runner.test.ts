import { describe, expect, test } from '@jest/globals';
import { createProcessRunner, formatCommandLine, runChecked, withCommandPrefix } from './command-runner.js';
import { createFakeRunner } from './test-support/fake-runner.js';

describe('createProcessRunner', () => {
  const runner = createProcessRunner();

  test('returns stdout, stderr and exit code, and feeds input on stdin', async () => {
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s.toUpperCase());process.stderr.write("warn");process.exit(3)})';
    const result = await runner.run(process.execPath, ['-e', script], { input: 'rules' });
    expect(result).toEqual({ stdout: 'RULES', stderr: 'warn', exitCode: 3 });
  });

  test('a missing binary is binary_missing with the command line', async () => {
    await expect(runner.run('podid-no-such-binary', ['-w', '-L'])).rejects.toMatchObject({
      code: 'binary_missing',
      command: 'podid-no-such-binary -w -L',
    });
  });

  test('runChecked turns a refused command into command_failed', async () => {
    await expect(
      runChecked(runner, process.execPath, ['-e', 'console.error("nope");process.exit(2)']),
    ).rejects.toMatchObject({ code: 'command_failed', exitCode: 2, stderr: 'nope\n' });
  });
});

describe('withCommandPrefix', () => {
  test('runs the command behind the prefix', async () => {
    const inner = createFakeRunner();
    await withCommandPrefix(inner, ['ip', 'netns', 'exec', 'n1']).run('iptables', ['-w', '-S'], { input: 'x' });
    expect(inner.calls).toEqual([
      {
        file: 'ip',
        args: ['netns', 'exec', 'n1', 'iptables', '-w', '-S'],
        input: 'x',
        line: 'ip netns exec n1 iptables -w -S',
      },
    ]);
  });

  test('recognises `ip netns exec` failing to find the binary as binary_missing', async () => {
    const inner = createFakeRunner(() => ({
      exitCode: 1,
      stderr: 'exec of "conntrack" failed: No such file or directory\n',
    }));
    await expect(
      withCommandPrefix(inner, ['ip', 'netns', 'exec', 'n1']).run('conntrack', ['-L']),
    ).rejects.toMatchObject({
      code: 'binary_missing',
      command: 'ip netns exec n1 conntrack -L',
    });
  });
});

test('formatCommandLine quotes only what needs quoting', () => {
  expect(formatCommandLine('iptables', ['-t', 'nat', '!', '-s', '127.0.0.1/32', 'a b'])).toBe(
    'iptables -t nat "!" -s 127.0.0.1/32 "a b"',
  );
});

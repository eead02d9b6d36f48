import { describe, expect, test } from '@jest/globals';
import { flushConntrack } from './conntrack.js';
import { createFakeRunner } from './test-support/fake-runner.js';

describe('flushConntrack', () => {
  test('deletes TCP flows to the metadata endpoint and returns the count conntrack reports', async () => {
    const runner = createFakeRunner(() => ({
      stdout: 'tcp      6 431999 ESTABLISHED src=10.244.0.2 dst=169.254.169.254 sport=40000 dport=80 ...\n',
      stderr: 'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been deleted.\n',
    }));
    expect(await flushConntrack({ runner })).toEqual({ deleted: 2 });
    expect(runner.calls.map((call) => call.line)).toEqual([
      'conntrack -D -f ipv4 -p tcp -d 169.254.169.254 --dport 80 --reply-src 169.254.169.254 --reply-port-src 80',
    ]);
  });

  test('exit 1 with "0 flow entries" is the normal nothing-to-delete case', async () => {
    const runner = createFakeRunner(() => ({
      exitCode: 1,
      stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
    }));
    expect(await flushConntrack({ runner, metadataIp: '169.254.170.2', metadataPort: 8080 })).toEqual({ deleted: 0 });
    expect(runner.calls[0]?.args).toEqual([
      '-D',
      '-f',
      'ipv4',
      '-p',
      'tcp',
      '-d',
      '169.254.170.2',
      '--dport',
      '8080',
      '--reply-src',
      '169.254.170.2',
      '--reply-port-src',
      '8080',
    ]);
  });

  test('uses the ipv6 family for an IPv6 metadata address', async () => {
    const runner = createFakeRunner();
    await flushConntrack({ runner, metadataIp: 'fd00:ec2::254' });
    expect(runner.calls[0]?.args.slice(0, 3)).toEqual(['-D', '-f', 'ipv6']);
  });

  test('any other failure is command_failed with the command line and stderr', async () => {
    const stderr = 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n';
    const runner = createFakeRunner(() => ({ exitCode: 1, stderr }));
    await expect(flushConntrack({ runner })).rejects.toMatchObject({
      code: 'command_failed',
      command:
        'conntrack -D -f ipv4 -p tcp -d 169.254.169.254 --dport 80 --reply-src 169.254.169.254 --reply-port-src 80',
      exitCode: 1,
      stderr,
    });
  });

  test('rejects a bad address or port before running anything', async () => {
    const runner = createFakeRunner();
    await expect(flushConntrack({ runner, metadataIp: 'imds' })).rejects.toMatchObject({ code: 'invalid_option' });
    await expect(flushConntrack({ runner, metadataPort: 0 })).rejects.toMatchObject({ code: 'invalid_option' });
    expect(runner.calls).toEqual([]);
  });
});

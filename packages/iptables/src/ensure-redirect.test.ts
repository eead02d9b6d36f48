import { describe, expect, test } from '@jest/globals';
import { ensureRedirect, removeRedirect } from './ensure-redirect.js';
import { IptablesError } from './errors.js';
import { withCommandPrefix } from './command-runner.js';
import { createFakeRunner } from './test-support/fake-runner.js';

const CORRECT_CHAIN = [
  '-N aad-metadata',
  '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
  '-A aad-metadata -j RETURN',
].join('\n');

const LIST = 'iptables -w -t nat -S aad-metadata';
const CHECK_JUMP = 'iptables -w -t nat -C PREROUTING -j aad-metadata';
const INSERT_JUMP = 'iptables -w -t nat -I PREROUTING 1 -j aad-metadata';
const REJECT_LIST = 'iptables -w -t filter -S aad-metadata-reject';
const NO_CHAIN = { exitCode: 1, stderr: 'iptables: No chain/target/match by that name.\n' };
const NFT_WARNING = '# Warning: iptables-legacy tables present, use iptables-legacy to see them\n';

describe('ensureRedirect', () => {
  test('on a fresh node writes the chain with one atomic restore and inserts the jump at position 1', async () => {
    const runner = createFakeRunner(({ line }) => {
      if (line === LIST || line === REJECT_LIST) return NO_CHAIN;
      if (line === CHECK_JUMP) return { exitCode: 1 };
      return undefined;
    });
    const result = await ensureRedirect({ runner });
    expect(runner.calls.map((call) => call.line)).toEqual([
      LIST,
      REJECT_LIST,
      'iptables-restore -w --noflush',
      CHECK_JUMP,
      INSERT_JUMP,
    ]);
    expect(runner.calls[2]?.input).toBe(
      [
        '*nat',
        ':aad-metadata - [0:0]',
        '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
        '-A aad-metadata -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(result.repairs).toEqual(['chain_created', 'jump_inserted']);
    expect(result.chainBefore).toEqual([]);
  });

  test('changes nothing when chain and jump are already right, even with nft warnings on stderr', async () => {
    const runner = createFakeRunner(({ line }) =>
      line === LIST
        ? { stdout: `${CORRECT_CHAIN}\n`, stderr: NFT_WARNING }
        : line === REJECT_LIST
          ? NO_CHAIN
          : { stderr: NFT_WARNING },
    );
    const result = await ensureRedirect({ runner });
    expect(runner.calls.map((call) => call.line)).toEqual([LIST, REJECT_LIST, CHECK_JUMP]);
    expect(result.repairs).toEqual([]);
  });

  test('rewrites a chain whose DNAT rule was deleted and reports what it saw', async () => {
    const runner = createFakeRunner(({ line }) =>
      line === LIST
        ? { stdout: '-N aad-metadata\n-A aad-metadata -j RETURN\n' }
        : line === REJECT_LIST
          ? NO_CHAIN
          : undefined,
    );
    const result = await ensureRedirect({ runner });
    expect(result.repairs).toEqual(['chain_rewritten']);
    expect(result.chainBefore).toEqual(['-N aad-metadata', '-A aad-metadata -j RETURN']);
    expect(runner.calls.map((call) => call.line)).toContain('iptables-restore -w --noflush');
  });

  test('rewrites a chain with an extra rule appended', async () => {
    const runner = createFakeRunner(({ line }) =>
      line === LIST
        ? { stdout: `${CORRECT_CHAIN}\n-A aad-metadata -j ACCEPT\n` }
        : line === REJECT_LIST
          ? NO_CHAIN
          : undefined,
    );
    expect((await ensureRedirect({ runner })).repairs).toEqual(['chain_rewritten']);
  });

  test('uses the configured metadata endpoint and target', async () => {
    const runner = createFakeRunner(({ line }) => (line === LIST || line === REJECT_LIST ? NO_CHAIN : undefined));
    const result = await ensureRedirect({
      runner,
      metadataIp: '169.254.170.2',
      metadataPort: '8080',
      targetIp: '10.0.0.4',
      targetPort: 12579,
    });
    const rule =
      '-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.170.2/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.4:12579';
    expect(result.chainExpected).toEqual(['-N aad-metadata', rule, '-A aad-metadata -j RETURN']);
    expect(runner.calls[2]?.input).toContain(`${rule}\n`);
  });

  test.each([
    [{ metadataIp: 'metadata.internal' }, 'metadataIp must be an IPv4 address'],
    [{ targetIp: '::1' }, 'targetIp must be an IPv4 address'],
    [{ metadataPort: 0 }, 'metadataPort must be a TCP port'],
    [{ targetPort: '25x' }, 'targetPort must be a TCP port'],
    [{ targetPort: 70000 }, 'targetPort must be a TCP port'],
  ])('rejects bad option %j before running anything', async (options, message) => {
    const runner = createFakeRunner();
    const error = await ensureRedirect({ runner, ...options }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IptablesError);
    expect(error).toMatchObject({ code: 'invalid_option' });
    expect((error as Error).message).toContain(message);
    expect(runner.calls).toEqual([]);
  });

  test('a refused restore becomes command_failed with the full (prefixed) command line, exit code and stderr', async () => {
    const stderr = "iptables-restore v1.8.9 (nf_tables): host/network `x' not found\nError occurred at line: 3\n";
    const inner = createFakeRunner(({ args }) => {
      if (args.includes('-S')) return NO_CHAIN;
      if (args.includes('iptables-restore')) return { exitCode: 2, stderr };
      return undefined;
    });
    const runner = withCommandPrefix(inner, ['ip', 'netns', 'exec', 'node1']);
    const error = await ensureRedirect({ runner }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'command_failed',
      command: 'ip netns exec node1 iptables-restore -w --noflush',
      exitCode: 2,
      stderr,
    });
    expect((error as Error).message).toContain('Error occurred at line: 3');
  });

  test('an unexpected exit of the jump check (not 0 or 1) is an error, not "missing"', async () => {
    const runner = createFakeRunner(({ line }) => {
      if (line === LIST) return { stdout: CORRECT_CHAIN };
      if (line === REJECT_LIST) return NO_CHAIN;
      if (line === CHECK_JUMP) return { exitCode: 4, stderr: 'Another app is currently holding the xtables lock.' };
      return undefined;
    });
    await expect(ensureRedirect({ runner })).rejects.toMatchObject({ code: 'command_failed', exitCode: 4 });
    expect(runner.calls.map((call) => call.line)).not.toContain(INSERT_JUMP);
  });
});

describe('removeRedirect', () => {
  test('deletes every plain jump, then flushes and deletes the chain', async () => {
    const runner = createFakeRunner(({ line }) => {
      if (line === 'iptables -w -t nat -S PREROUTING') {
        return {
          stdout:
            '-P PREROUTING ACCEPT\n-A PREROUTING -j aad-metadata\n-A PREROUTING -j KUBE-SERVICES\n-A PREROUTING -j aad-metadata\n',
        };
      }
      if (line === LIST) return { stdout: CORRECT_CHAIN };
      return undefined;
    });
    expect(await removeRedirect({ runner })).toEqual({ jumpsRemoved: 2, chainRemoved: true });
    expect(runner.calls.map((call) => call.line)).toEqual([
      'iptables -w -t nat -S PREROUTING',
      'iptables -w -t nat -D PREROUTING -j aad-metadata',
      'iptables -w -t nat -D PREROUTING -j aad-metadata',
      LIST,
      'iptables -w -t nat -F aad-metadata',
      'iptables -w -t nat -X aad-metadata',
    ]);
  });

  test('is a no-op when nothing exists', async () => {
    const runner = createFakeRunner(({ line }) =>
      line === LIST ? { exitCode: 1 } : { stdout: '-P PREROUTING ACCEPT\n-A PREROUTING -j KUBE-SERVICES\n' },
    );
    expect(await removeRedirect({ runner })).toEqual({ jumpsRemoved: 0, chainRemoved: false });
    expect(runner.calls.map((call) => call.line)).toEqual(['iptables -w -t nat -S PREROUTING', LIST]);
  });
});

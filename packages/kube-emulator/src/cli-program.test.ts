import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { runCli } from './cli-program.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
  };
  return { out, io };
}

describe('kube-emulator CLI', () => {
  test('prints the kubeconfig path; the kubeconfig reaches the server with its token', async () => {
    const { out, io } = capture();
    const emulator = await runCli(['--token', 'cli-token', '--require-token'], io);
    try {
      const path = out.stdout.trim();
      expect(path).toBe(emulator.kubeconfigPath);
      const config = parse(readFileSync(path, 'utf8'));
      expect(config['current-context']).toBe('kube-emulator');
      const server = config.clusters[0].cluster.server as string;
      expect(server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server}/api/v1/namespaces`)).status).toBe(401);
      const ok = await fetch(`${server}/api/v1/namespaces`, {
        headers: { authorization: `Bearer ${config.users[0].user.token}` },
      });
      expect(ok.status).toBe(200);
      expect(out.stderr).toContain(`listening on ${emulator.url}`);
    } finally {
      await emulator.close();
    }
  });

  test('bad flags are refused with a clear message', async () => {
    const { out, io } = capture();
    await expect(runCli(['--port', 'abc'], io)).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(out.stderr).toContain('--port must be an integer >= 0');
  });
});

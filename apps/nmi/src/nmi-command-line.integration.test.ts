import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { requireBuiltNmi, runNmiToExit } from './test-support/nmi-process.js';

let dir: string;

beforeAll(() => {
  requireBuiltNmi();
  dir = mkdtempSync(join(tmpdir(), 'podid-nmi-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the nmi command line, as a child process', () => {
  test('--version prints one version line and exits 0', async () => {
    const result = await runNmiToExit(['--version'], { ...process.env, PODID_GIT_COMMIT: 'abc1234' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^@podid\/nmi \d+\.\d+\.\d+\S* \(commit abc1234, built unknown\)\n$/);
  });

  test('--help lists upstream’s flags and podid’s additions, exit 0', async () => {
    const result = await runNmiToExit(['--help']);
    expect(result.code).toBe(0);
    for (const flag of [
      '--nmi-port',
      '--ipt-update-interval-sec',
      '--forceNamespaced',
      '--manage-iptables',
      '--termination-wait',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  test.each([
    [['--node=n1', '--nmi-port=abc'], /--nmi-port/],
    [['--node=n1', '--ipt-update-interval-sec=soon'], /--ipt-update-interval-sec/],
    [['--node=n1', '--termination-wait=5'], /--termination-wait/],
    [['--node=n1', '--log-format=yaml'], /--log-format: unknown logging format/],
    [['--node=n1', '--operation-mode=managed'], /^managed mode not intialized in force namespaced mode$/m],
    [['--node=n1', '--no-such-flag'], /no-such-flag/],
  ])('%j exits 2 naming the problem', async (argv, message) => {
    const result = await runNmiToExit(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('a kubenet node is refused with upstream’s message, exit 1 (row 45)', async () => {
    const kubelet = join(dir, 'kubelet');
    writeFileSync(kubelet, 'KUBELET_FLAGS=--network-plugin=kubenet\n');
    const result = await runNmiToExit(['--node=n1', `--kubelet-config=${kubelet}`, '--log-format=json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'AAD Pod Identity is not supported for Kubenet. Review https://azure.github.io/aad-pod-identity/docs/configure/aad_pod_identity_on_kubenet/ for more details.',
    );
    expect(result.stderr).toMatch(/"level":60/);
  });

  test('a kubeconfig that does not exist is a clear fatal error, exit 1', async () => {
    const result = await runNmiToExit([
      '--node=n1',
      '--allow-network-plugin-kubenet',
      `--kubeconfig=${join(dir, 'missing')}`,
      '--http-probe-port=0',
      '--prometheus-port=0',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^F.*failed to create kube client: kubeconfig file not found/m);
  });
});

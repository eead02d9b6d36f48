import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { checkKubenet, KUBENET_NOT_SUPPORTED_MESSAGE } from './kubenet-guard.js';

const KUBENET_DEFAULTS = 'KUBELET_FLAGS=--address=0.0.0.0 --network-plugin=kubenet --node-labels=a=b\n';
const CNI_DEFAULTS = 'KUBELET_FLAGS=--address=0.0.0.0 --network-plugin=cni --node-labels=a=b\n';

describe('checkKubenet (checklist row 45)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podid-kubenet-'));
    await writeFile(join(dir, 'kubenet'), KUBENET_DEFAULTS);
    await writeFile(join(dir, 'cni'), CNI_DEFAULTS);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('refuses a kubenet kubelet config with upstream exact message', async () => {
    const error = await checkKubenet({ kubeletConfigPath: join(dir, 'kubenet') }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'kubenet_not_supported' });
    expect((error as Error).message).toBe(
      'AAD Pod Identity is not supported for Kubenet. Review https://azure.github.io/aad-pod-identity/docs/configure/aad_pod_identity_on_kubenet/ for more details.',
    );
    expect(KUBENET_NOT_SUPPORTED_MESSAGE).toBe((error as Error).message);
  });

  test('--allow-network-plugin-kubenet lets it run without reading the file', async () => {
    const read = async (): Promise<string> => {
      throw new Error('must not be read');
    };
    await expect(checkKubenet({ allowKubenet: true, readTextFile: read })).resolves.toBeUndefined();
    await expect(
      checkKubenet({ allowKubenet: true, kubeletConfigPath: join(dir, 'kubenet') }),
    ).resolves.toBeUndefined();
  });

  test('passes a CNI kubelet config', async () => {
    await expect(checkKubenet({ kubeletConfigPath: join(dir, 'cni') })).resolves.toBeUndefined();
  });

  test('reads /etc/default/kubelet by default (through the injected reader)', async () => {
    const paths: string[] = [];
    await checkKubenet({
      readTextFile: async (path) => {
        paths.push(path);
        return CNI_DEFAULTS;
      },
    });
    expect(paths).toEqual(['/etc/default/kubelet']);
  });

  test('an unreadable config is fatal with the upstream prefix', async () => {
    const error = await checkKubenet({ kubeletConfigPath: join(dir, 'missing') }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'kubelet_config_unreadable' });
    expect((error as Error).message).toMatch(/^failed to check if CNI plugin is kubenet, error: ENOENT/);
  });
});

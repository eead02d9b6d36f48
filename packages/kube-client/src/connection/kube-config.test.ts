import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createKubeConfig } from './kube-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-client-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createKubeConfig', () => {
  test('loads a kubeconfig file (--kubeconfig)', () => {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: secret-token}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    const config = createKubeConfig({ kubeconfigPath: path });
    expect(config.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(config.getCurrentUser()?.token).toBe('secret-token');
  });

  test('in-cluster: service host/port from the environment, token file re-read by client-node', () => {
    const saDir = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), 'sa-token');
    writeFileSync(join(saDir, 'namespace'), 'kube-system');
    const config = createKubeConfig({
      inCluster: true,
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountPathPrefix: dir,
    });
    expect(config.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect(config.getCurrentUser()?.authProvider?.config?.tokenFile).toBe(join(saDir, 'token'));
    expect(process.env.KUBERNETES_SERVICE_HOST).toBeUndefined();
  });

  test('in-cluster outside a cluster fails with a clear error', () => {
    expect(() => createKubeConfig({ inCluster: true, env: {} })).toThrow(
      expect.objectContaining({
        code: 'KUBE_CONFIG_INVALID',
        message: expect.stringContaining('KUBERNETES_SERVICE_HOST'),
      }),
    );
  });

  test('explicit server URL and token; plain http implies skipTLSVerify (client-node refuses http otherwise)', () => {
    const config = createKubeConfig({ server: { url: 'http://127.0.0.1:8080/', token: 't' } });
    expect(config.getCurrentCluster()).toMatchObject({ server: 'http://127.0.0.1:8080', skipTLSVerify: true });
    expect(config.getCurrentUser()?.token).toBe('t');
    const tls = createKubeConfig({ server: { url: 'https://api.example:443', caData: '-----BEGIN CERTIFICATE-----' } });
    expect(tls.getCurrentCluster()?.skipTLSVerify).toBe(false);
    expect(tls.getCurrentCluster()?.caData).toBe(Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'));
  });

  test('rejects zero or several sources, missing files and bad URLs', () => {
    const invalid = expect.objectContaining({ code: 'KUBE_CONFIG_INVALID' });
    expect(() => createKubeConfig({})).toThrow(invalid);
    expect(() => createKubeConfig({ inCluster: true, server: { url: 'http://x' } })).toThrow(invalid);
    expect(() => createKubeConfig({ kubeconfigPath: join(dir, 'missing') })).toThrow(invalid);
    expect(() => createKubeConfig({ server: { url: 'not a url' } })).toThrow(invalid);
    expect(() => createKubeConfig({ server: { url: 'ftp://x' } })).toThrow(invalid);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createKubeConfig } from './kube-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-client-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (text: string) => Buffer.from(text).toString('base64');

function writeConfig(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, ['apiVersion: v1', 'kind: Config', ...lines].join('\n'));
  return path;
}

describe('createKubeConfig', () => {
  test('loads a kubeconfig file (--kubeconfig): server, token, insecure-skip-tls-verify, namespace', async () => {
    const path = writeConfig('config', [
      'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443/", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: secret-token}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: apps}}]',
      'current-context: x',
    ]);
    const config = createKubeConfig({ kubeconfigPath: path });
    expect(config).toMatchObject({ server: 'https://10.0.0.1:6443', namespace: 'apps', authentication: 'native' });
    const credentials = await config.credentials();
    expect(credentials.headers).toEqual({ Authorization: 'Bearer secret-token' });
    expect(credentials.tls.rejectUnauthorized).toBe(false);
  });

  test('contexts: an explicit context wins over current-context; an unknown one is a clear error', async () => {
    const path = writeConfig('two-contexts', [
      'clusters: [{name: a, cluster: {server: "https://a:6443"}}, {name: b, cluster: {server: "https://b:6443"}}]',
      'users: [{name: ua, user: {username: admin, password: s3cret}}, {name: ub, user: {token: tb, as: alice}}]',
      'contexts: [{name: one, context: {cluster: a, user: ua}}, {name: two, context: {cluster: b, user: ub}}]',
      'current-context: one',
    ]);
    const one = createKubeConfig({ kubeconfigPath: path });
    expect(one.server).toBe('https://a:6443');
    expect((await one.credentials()).headers['Authorization']).toBe(`Basic ${b64('admin:s3cret')}`);
    const two = createKubeConfig({ kubeconfigPath: path, context: 'two' });
    expect(two.server).toBe('https://b:6443');
    expect((await two.credentials()).headers).toEqual({ Authorization: 'Bearer tb', 'Impersonate-User': 'alice' });
    expect(() => createKubeConfig({ kubeconfigPath: path, context: 'three' })).toThrow(
      expect.objectContaining({ code: 'KUBE_CONFIG_INVALID', message: expect.stringContaining('"three" not found') }),
    );
  });

  test('TLS material inline (-data) and from files relative to the kubeconfig, tls-server-name, tokenFile', async () => {
    mkdirSync(join(dir, 'pki'), { recursive: true });
    writeFileSync(join(dir, 'pki/ca.pem'), 'CA FROM FILE');
    writeFileSync(join(dir, 'pki/client.pem'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'pki/client.key'), 'KEY FROM FILE');
    writeFileSync(join(dir, 'pki/token'), 'token-one\n');
    const inline = writeConfig('inline', [
      `clusters: [{name: c, cluster: {server: "https://api:6443", certificate-authority-data: ${b64('CA')}, tls-server-name: kubernetes}}]`,
      `users: [{name: u, user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ]);
    const fromInline = await createKubeConfig({ kubeconfigPath: inline }).credentials();
    expect(fromInline.headers).toEqual({});
    expect(fromInline.tls).toEqual({
      rejectUnauthorized: true,
      ca: Buffer.from('CA'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      servername: 'kubernetes',
    });
    const files = writeConfig('files', [
      'clusters: [{name: c, cluster: {server: "https://api:6443", certificate-authority: pki/ca.pem}}]',
      'users: [{name: u, user: {client-certificate: pki/client.pem, client-key: pki/client.key, tokenFile: pki/token}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ]);
    const config = createKubeConfig({ kubeconfigPath: files });
    const fromFiles = await config.credentials();
    expect(fromFiles.tls).toMatchObject({
      ca: Buffer.from('CA FROM FILE'),
      cert: Buffer.from('CERT FROM FILE'),
      key: Buffer.from('KEY FROM FILE'),
    });
    expect(fromFiles.headers['Authorization']).toBe('Bearer token-one');
    writeFileSync(join(dir, 'pki/token'), 'token-two\n');
    expect((await config.credentials()).headers['Authorization']).toBe('Bearer token-two');
  });

  test('exec and auth-provider users are left to client-node (not loaded yet when the config is made)', () => {
    const path = writeConfig('exec', [
      'clusters: [{name: c, cluster: {server: "https://api:6443"}}]',
      'users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin}}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ]);
    expect(createKubeConfig({ kubeconfigPath: path }).authentication).toBe('client-node');
  });

  test('in-cluster: service host/port from the environment (IPv6 bracketed), token and CA files re-read', async () => {
    const saDir = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), 'sa-token');
    writeFileSync(join(saDir, 'ca.crt'), 'CLUSTER CA');
    writeFileSync(join(saDir, 'namespace'), 'kube-system');
    const config = createKubeConfig({
      inCluster: true,
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountPathPrefix: dir,
    });
    expect(config).toMatchObject({ server: 'https://[fd00::1]:443', namespace: 'kube-system' });
    expect(await config.credentials()).toEqual({
      headers: { Authorization: 'Bearer sa-token' },
      tls: { rejectUnauthorized: true, ca: Buffer.from('CLUSTER CA'), cert: undefined, key: undefined },
    });
    // kubelet rotates the bound token: the next request presents the new one.
    writeFileSync(join(saDir, 'token'), 'rotated-token');
    expect((await config.credentials()).headers['Authorization']).toBe('Bearer rotated-token');
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

  test('explicit server URL and token; a CA for https', async () => {
    const config = createKubeConfig({ server: { url: 'http://127.0.0.1:8080/', token: 't' } });
    expect(config.server).toBe('http://127.0.0.1:8080');
    expect((await config.credentials()).headers).toEqual({ Authorization: 'Bearer t' });
    const tls = createKubeConfig({ server: { url: 'https://api.example:443', caData: '-----BEGIN CERTIFICATE-----' } });
    expect((await tls.credentials()).tls).toMatchObject({
      rejectUnauthorized: true,
      ca: Buffer.from('-----BEGIN CERTIFICATE-----'),
    });
  });

  test('rejects zero or several sources, missing files, bad URLs and proxy-url', () => {
    const invalid = expect.objectContaining({ code: 'KUBE_CONFIG_INVALID' });
    expect(() => createKubeConfig({})).toThrow(invalid);
    expect(() => createKubeConfig({ inCluster: true, server: { url: 'http://x' } })).toThrow(invalid);
    expect(() => createKubeConfig({ kubeconfigPath: join(dir, 'missing') })).toThrow(invalid);
    expect(() => createKubeConfig({ server: { url: 'not a url' } })).toThrow(invalid);
    expect(() => createKubeConfig({ server: { url: 'ftp://x' } })).toThrow(invalid);
    const noContext = writeConfig('no-context', ['clusters: []', 'users: []', 'contexts: []']);
    expect(() => createKubeConfig({ kubeconfigPath: noContext })).toThrow(invalid);
    const notYaml = join(dir, 'not-yaml');
    writeFileSync(notYaml, 'clusters: [unclosed');
    expect(() => createKubeConfig({ kubeconfigPath: notYaml })).toThrow(invalid);
    const proxied = writeConfig('proxied', [
      'clusters: [{name: c, cluster: {server: "https://api:6443", proxy-url: "http://proxy:3128"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ]);
    expect(() => createKubeConfig({ kubeconfigPath: proxied })).toThrow(
      expect.objectContaining({ code: 'KUBE_CONFIG_INVALID', message: expect.stringContaining('proxy-url') }),
    );
  });
});

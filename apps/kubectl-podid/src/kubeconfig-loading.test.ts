import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { CliError } from './errors.js';
import { loadKubeconfig } from './kubeconfig-loading.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-loading-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, config: object): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...config }));
  return file;
}

const first = write('first', {
  clusters: [{ name: 'shared', cluster: { server: 'http://first:8080' } }],
  users: [{ name: 'u', user: { token: 't1' } }],
  contexts: [{ name: 'one', context: { cluster: 'shared', user: 'u', namespace: 'team-a' } }],
  'current-context': 'one',
});
const second = write('second', {
  clusters: [
    { name: 'shared', cluster: { server: 'http://second:8080' } },
    { name: 'other', cluster: { server: 'https://other:6443' } },
  ],
  users: [{ name: 'u', user: { token: 't2' } }],
  contexts: [{ name: 'two', context: { cluster: 'other', user: 'u' } }],
  'current-context': 'two',
});

describe('loadKubeconfig (kubectl’s rules)', () => {
  test('KUBECONFIG lists files; the first to define a name or a current-context wins; missing files are skipped', () => {
    const env = { KUBECONFIG: [path.join(dir, 'nope'), first, second].join(path.delimiter) };
    const loaded = loadKubeconfig({ env, homeDir: dir });
    expect(loaded.kubeConfig.getCurrentContext()).toBe('one');
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('http://first:8080');
    expect(loaded.namespace).toBe('team-a');
    expect(loaded.files).toEqual([first, second]);
  });

  test('--context picks a context from any of the files; -n beats the context namespace; default is "default"', () => {
    const env = { KUBECONFIG: [first, second].join(path.delimiter) };
    const loaded = loadKubeconfig({ env, homeDir: dir, context: 'two' });
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('https://other:6443');
    expect(loaded.namespace).toBe('default');
    expect(loadKubeconfig({ env, homeDir: dir, namespace: 'x' }).namespace).toBe('x');
  });

  test('--kubeconfig alone is read, even when KUBECONFIG is set', () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: first }, homeDir: dir, kubeconfig: second });
    expect(loaded.kubeConfig.getCurrentContext()).toBe('two');
  });

  test('plain-http servers are used as kubectl uses them (no TLS to verify)', () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: first }, homeDir: dir });
    expect(loaded.kubeConfig.getCurrentCluster()?.skipTLSVerify).toBe(true);
  });

  test.each([
    [{ env: {}, homeDir: dir }, 'KUBECONFIG_MISSING'],
    [{ env: { KUBECONFIG: path.join(dir, 'nope') }, homeDir: dir }, 'KUBECONFIG_MISSING'],
    [{ env: {}, homeDir: dir, kubeconfig: path.join(dir, 'nope') }, 'KUBECONFIG_MISSING'],
    [{ env: { KUBECONFIG: first }, homeDir: dir, context: 'nope' }, 'KUBECONFIG_INVALID'],
  ])('%j → %s', (selection, code) => {
    expect(() => loadKubeconfig(selection)).toThrow(CliError);
    try {
      loadKubeconfig(selection);
    } catch (error) {
      expect((error as CliError).code).toBe(code);
    }
  });
});

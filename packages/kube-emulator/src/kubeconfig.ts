/** The kubeconfig a client needs to reach the emulator (plain HTTP, bearer token), as an object and as a file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'insecure-skip-tls-verify': boolean } }[];
  users: { name: string; user: { token: string } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

export function buildKubeconfig(server: string, token: string, name = 'kube-emulator'): Kubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses http:// servers unless skipTLSVerify is set, so the flag is set although there is no TLS.
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
}

/** Writes the kubeconfig (mode 0600, it holds a token) to `path`, or to a fresh temporary directory. */
export function writeKubeconfig(config: Kubeconfig, path?: string): string {
  const target = path ?? join(mkdtempSync(join(tmpdir(), 'kube-emulator-')), 'kubeconfig');
  writeFileSync(target, stringify(config), { mode: 0o600 });
  return target;
}

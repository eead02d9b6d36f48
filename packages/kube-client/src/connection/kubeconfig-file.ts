import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeClientError } from '../errors.js';

/** The cluster fields podid connects with (kubeconfig names, camel-cased); file paths are absolute. */
export interface KubeconfigCluster {
  server?: string | undefined;
  caFile?: string | undefined;
  /** Base64 of the PEM bundle, as in the file. */
  caData?: string | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
  tlsServerName?: string | undefined;
  proxyUrl?: string | undefined;
}

/** The user fields podid authenticates with natively; `exec` and `authProvider` are only detected. */
export interface KubeconfigUser {
  token?: string | undefined;
  tokenFile?: string | undefined;
  certFile?: string | undefined;
  certData?: string | undefined;
  keyFile?: string | undefined;
  keyData?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** `as`: Impersonate-User. */
  impersonate?: string | undefined;
  exec?: unknown;
  authProvider?: unknown;
}

export interface SelectedKubeconfig {
  contextName: string;
  clusterName: string;
  namespace: string | undefined;
  cluster: KubeconfigCluster;
  user: KubeconfigUser;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Loaded on first use: only kubeconfig files need a YAML parser (in-cluster NMI and MIC never load one). js-yaml is
 * also what client-node reads kubeconfigs with; it costs ~3 MiB of RSS, the `yaml` package ~9 MiB.
 */
const requireLazily = createRequire(import.meta.url);
function parseYaml(source: string): unknown {
  const { load } = requireLazily('js-yaml') as typeof import('js-yaml');
  return load(source);
}

function named(list: unknown, name: string, field: string): Json | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = list.map(record).find((item) => item['name'] === name);
  return entry === undefined ? undefined : record(entry[field]);
}

/**
 * Reads a kubeconfig file and selects one context (the given one, else `current-context`): its cluster and user,
 * with relative file paths resolved against the file's directory, as kubectl does.
 */
export function readKubeconfigFile(path: string, context?: string): SelectedKubeconfig {
  let document: Json;
  try {
    document = record(parseYaml(readFileSync(path, 'utf8')));
  } catch (cause) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `cannot load kubeconfig ${path}`, { cause });
  }
  const contextName = context ?? text(document['current-context']);
  if (contextName === undefined) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `the kubeconfig ${path} has no current-context`);
  }
  const selected = named(document['contexts'], contextName, 'context');
  if (selected === undefined) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `context "${contextName}" not found in the kubeconfig ${path}`);
  }
  const clusterName = text(selected['cluster']) ?? '';
  const cluster = named(document['clusters'], clusterName, 'cluster');
  if (cluster === undefined) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', 'the kubeconfig has no current cluster');
  }
  const userName = text(selected['user']);
  const user = userName === undefined ? {} : (named(document['users'], userName, 'user') ?? {});
  const directory = dirname(path);
  const file = (value: unknown) => {
    const given = text(value);
    return given === undefined || isAbsolute(given) ? given : join(directory, given);
  };
  return {
    contextName,
    clusterName,
    namespace: text(selected['namespace']),
    cluster: {
      server: text(cluster['server']),
      caFile: file(cluster['certificate-authority']),
      caData: text(cluster['certificate-authority-data']),
      insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
      tlsServerName: text(cluster['tls-server-name']),
      proxyUrl: text(cluster['proxy-url']),
    },
    user: {
      token: text(user['token']),
      tokenFile: file(user['tokenFile']),
      certFile: file(user['client-certificate']),
      certData: text(user['client-certificate-data']),
      keyFile: file(user['client-key']),
      keyData: text(user['client-key-data']),
      username: text(user['username']),
      password: text(user['password']),
      impersonate: text(user['as']),
      exec: user['exec'] ?? undefined,
      authProvider: user['auth-provider'] ?? undefined,
    },
  };
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './errors.js';

export interface KubeconfigSelection {
  /** `--kubeconfig`: this file only. */
  readonly kubeconfig?: string | undefined;
  /** `--context`: instead of the kubeconfig's current-context. */
  readonly context?: string | undefined;
  /** `-n/--namespace`: instead of the context's namespace. */
  readonly namespace?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly homeDir: string;
}

export interface LoadedKubeconfig {
  readonly kubeConfig: KubeConfig;
  /** `-n`, else the context's namespace, else `default` — kubectl's rule. */
  readonly namespace: string;
  /** Where the configuration came from, for messages. */
  readonly files: readonly string[];
}

/**
 * The files kubectl reads, in its order of precedence: `--kubeconfig` alone; otherwise every existing file named by
 * `KUBECONFIG` (a PATH-style list); otherwise `~/.kube/config`.
 */
function kubeconfigFiles(selection: KubeconfigSelection): string[] {
  if (selection.kubeconfig !== undefined && selection.kubeconfig !== '') {
    if (!existsSync(selection.kubeconfig)) {
      throw new CliError('KUBECONFIG_MISSING', `kubeconfig ${selection.kubeconfig} does not exist`);
    }
    return [selection.kubeconfig];
  }
  const fromEnv = (selection.env['KUBECONFIG'] ?? '').split(path.delimiter).filter((file) => file !== '');
  if (fromEnv.length > 0) {
    const existing = fromEnv.filter((file) => existsSync(file));
    if (existing.length === 0) {
      throw new CliError(
        'KUBECONFIG_MISSING',
        `no kubeconfig: none of the KUBECONFIG files exist (${fromEnv.join(', ')})`,
      );
    }
    return existing;
  }
  const home = path.join(selection.homeDir, '.kube', 'config');
  if (!existsSync(home)) {
    throw new CliError(
      'KUBECONFIG_MISSING',
      `no kubeconfig: ${home} does not exist; set KUBECONFIG or pass --kubeconfig`,
    );
  }
  return [home];
}

function loadFile(file: string): KubeConfig {
  const config = new KubeConfig();
  try {
    config.loadFromFile(file);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new CliError('KUBECONFIG_INVALID', `cannot read kubeconfig ${file}: ${reason}`, { cause });
  }
  return config;
}

/** Merges as kubectl does: the first file that defines a name wins, and the first current-context set wins. */
function mergeFirstWins(configs: readonly KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const byName = new Map<string, T>();
    for (const item of lists.flat()) if (!byName.has(item.name)) byName.set(item.name, item);
    return [...byName.values()];
  };
  const merged = new KubeConfig();
  merged.loadFromOptions({
    // kubectl talks to a plain-http server as it is; client-node refuses one unless told TLS is not checked.
    clusters: firstByName(configs.map((c) => c.getClusters())).map((cluster) =>
      cluster.server.startsWith('http://') ? { ...cluster, skipTLSVerify: true } : cluster,
    ),
    users: firstByName(configs.map((c) => c.getUsers())),
    contexts: firstByName(configs.map((c) => c.getContexts())),
    currentContext: configs.map((c) => c.getCurrentContext()).find((name) => name !== '') ?? '',
  });
  return merged;
}

/** The kubeconfig, context and namespace as kubectl would pick them; a clear CliError otherwise. */
export function loadKubeconfig(selection: KubeconfigSelection): LoadedKubeconfig {
  const files = kubeconfigFiles(selection);
  const kubeConfig = mergeFirstWins(files.map(loadFile));
  if (selection.context !== undefined && selection.context !== '') {
    if (kubeConfig.getContextObject(selection.context) === null) {
      throw new CliError('KUBECONFIG_INVALID', `context "${selection.context}" does not exist in ${files.join(', ')}`);
    }
    kubeConfig.setCurrentContext(selection.context);
  }
  if (kubeConfig.getCurrentContext() === '') {
    throw new CliError('KUBECONFIG_INVALID', `no current context in ${files.join(', ')}; pass --context`);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null || cluster.server === '') {
    throw new CliError(
      'KUBECONFIG_INVALID',
      `context "${kubeConfig.getCurrentContext()}" names no cluster with a server`,
    );
  }
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  const namespace = selection.namespace || contextNamespace || 'default';
  return { kubeConfig, namespace, files };
}

import { KubeClientError } from '../errors.js';
import type { KubeClientConfig, RequestCredentials } from './kube-config.js';

/**
 * The part of `@kubernetes/client-node`'s `KubeConfig` podid uses (structural, so this module never imports
 * client-node): it runs exec plugins and auth providers and fills in Node https request options.
 */
export interface ClientNodeKubeConfig {
  getCurrentCluster(): { server: string; proxyUrl?: string | undefined } | null;
  getCurrentContext(): string;
  getContextObject(name: string): { namespace?: string | undefined } | null;
  applyToHTTPSOptions(options: object): Promise<void>;
}

interface FilledOptions {
  headers?: Record<string, unknown>;
  auth?: string;
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

const asBuffer = (value: Buffer | string | undefined) =>
  value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);

/**
 * Credentials from a client-node KubeConfig, asked for every request (client-node caches exec-plugin tokens until
 * they expire and runs the plugin again after). Its agent is not used: podid's own pool keeps the connections.
 */
export function clientNodeCredentials(load: () => Promise<ClientNodeKubeConfig>): () => Promise<RequestCredentials> {
  let loading: Promise<ClientNodeKubeConfig> | undefined;
  return async () => {
    loading ??= load().catch((cause: unknown) => {
      loading = undefined;
      throw new KubeClientError('KUBE_CONFIG_INVALID', 'cannot load the kubeconfig with @kubernetes/client-node', {
        cause,
      });
    });
    const kubeConfig = await loading;
    const options: FilledOptions = {};
    try {
      await kubeConfig.applyToHTTPSOptions(options);
    } catch (cause) {
      throw new KubeClientError(
        'KUBE_CONFIG_INVALID',
        `@kubernetes/client-node could not authenticate the request (exec plugin, auth provider or TLS settings): ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined && value !== null) headers[name] = String(value);
    }
    if (options.auth !== undefined && headers['Authorization'] === undefined) {
      headers['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    return {
      headers,
      tls: {
        rejectUnauthorized: options.rejectUnauthorized !== false,
        ca: asBuffer(options.ca),
        cert: asBuffer(options.cert),
        key: asBuffer(options.key),
        servername: options.servername,
      },
    };
  };
}

/**
 * A connection configuration from a KubeConfig the caller already loaded with client-node (kubectl-podid merges
 * KUBECONFIG's files as kubectl does): every request's credentials come from it, exec plugins included.
 */
export function kubeConfigFromClientNode(kubeConfig: ClientNodeKubeConfig): KubeClientConfig {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server) throw new KubeClientError('KUBE_CONFIG_INVALID', 'the kubeconfig has no current cluster');
  if (cluster.proxyUrl) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', 'the cluster sets proxy-url, which podid does not support');
  }
  return {
    server: cluster.server.replace(/\/+$/, ''),
    namespace: kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace,
    authentication: 'client-node',
    credentials: clientNodeCredentials(async () => kubeConfig),
  };
}

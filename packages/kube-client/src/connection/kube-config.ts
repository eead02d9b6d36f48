import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClientError } from '../errors.js';

export interface ExplicitServer {
  /** API server URL, e.g. `https://10.0.0.1:443` or `http://127.0.0.1:8080`. */
  url: string;
  token?: string;
  /** PEM CA bundle for an https server. */
  caData?: string;
  /** Required for plain-http servers (client-node refuses http otherwise) and for unverified https. */
  skipTLSVerify?: boolean;
}

export interface KubeConfigSource {
  /** `--kubeconfig`: a kubeconfig file. */
  kubeconfigPath?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token, re-read on rotation). */
  inCluster?: boolean;
  /** An explicit server (tests, the sandbox). */
  server?: ExplicitServer;
  /** Context to select in the kubeconfig file; defaults to its current-context. */
  context?: string;
  /** Environment to read `KUBERNETES_SERVICE_HOST` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Prefix for the service-account files (`<prefix>/var/run/secrets/kubernetes.io/serviceaccount/...`); tests only. */
  serviceAccountPathPrefix?: string;
}

/**
 * A client-node `KubeConfig` from exactly one source. Upstream's rule (spec §2.1 step 3): a kubeconfig path when given,
 * otherwise in-cluster; we additionally accept an explicit URL and token.
 */
export function createKubeConfig(source: KubeConfigSource): KubeConfig {
  const chosen = [
    source.kubeconfigPath ? 'kubeconfigPath' : '',
    source.inCluster ? 'inCluster' : '',
    source.server ? 'server' : '',
  ].filter(Boolean);
  if (chosen.length !== 1) {
    throw new KubeClientError(
      'KUBE_CONFIG_INVALID',
      `exactly one of kubeconfigPath, inCluster or server must be given (got ${chosen.length === 0 ? 'none' : chosen.join(', ')})`,
    );
  }
  const kubeConfig = new KubeConfig();
  if (source.kubeconfigPath) {
    if (!existsSync(source.kubeconfigPath)) {
      throw new KubeClientError('KUBE_CONFIG_INVALID', `kubeconfig file not found: ${source.kubeconfigPath}`);
    }
    try {
      kubeConfig.loadFromFile(source.kubeconfigPath);
    } catch (cause) {
      throw new KubeClientError('KUBE_CONFIG_INVALID', `cannot load kubeconfig ${source.kubeconfigPath}`, { cause });
    }
    if (source.context) kubeConfig.setCurrentContext(source.context);
  } else if (source.inCluster) {
    const env = source.env ?? process.env;
    if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
      throw new KubeClientError(
        'KUBE_CONFIG_INVALID',
        'in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT; pass --kubeconfig outside a cluster',
      );
    }
    // client-node reads these from process.env itself; make an injected environment visible to it.
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
    process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT;
    try {
      kubeConfig.loadFromCluster(source.serviceAccountPathPrefix);
    } finally {
      restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
      restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
    }
  } else if (source.server) {
    loadExplicitServer(kubeConfig, source.server);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', 'the kubeconfig has no current cluster');
  }
  return kubeConfig;
}

function loadExplicitServer(kubeConfig: KubeConfig, server: ExplicitServer): void {
  let url: URL;
  try {
    url = new URL(server.url);
  } catch (cause) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `invalid API server URL: ${server.url}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `API server URL must be http or https: ${server.url}`);
  }
  const skipTLSVerify = server.skipTLSVerify ?? url.protocol === 'http:';
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'podid',
        server: server.url.replace(/\/+$/, ''),
        skipTLSVerify,
        ...(server.caData ? { caData: Buffer.from(server.caData).toString('base64') } : {}),
      },
    ],
    users: [{ name: 'podid', ...(server.token ? { token: server.token } : {}) }],
    contexts: [{ name: 'podid', cluster: 'podid', user: 'podid' }],
    currentContext: 'podid',
  });
}

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

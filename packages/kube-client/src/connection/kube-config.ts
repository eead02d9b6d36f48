import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { KubeClientError } from '../errors.js';
import { clientNodeCredentials } from './client-node-credentials.js';
import { readKubeconfigFile } from './kubeconfig-file.js';
import { nativeCredentials } from './native-credentials.js';

/** TLS settings for the connection to the API server (Buffers hold PEM). */
export interface TlsSettings {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  /** False for `insecure-skip-tls-verify`. */
  readonly rejectUnauthorized: boolean;
  /** `tls-server-name`: the name the server certificate is checked against instead of the URL's host. */
  readonly servername?: string | undefined;
}

/** What one request presents: headers (Authorization, Impersonate-User) and the TLS settings of its connection. */
export interface RequestCredentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsSettings;
}

/**
 * Where and how to reach an API server. `credentials()` is called for every request, so a rotated service-account
 * token, a renewed client certificate or a fresh exec-plugin token is picked up without a restart.
 */
export interface KubeClientConfig {
  /** API server URL without a trailing slash, e.g. `https://10.0.0.1:443`. */
  readonly server: string;
  /** The context's namespace (in-cluster: the pod's), when there is one. */
  readonly namespace: string | undefined;
  /**
   * `native`: podid reads the credentials itself. `client-node`: the user authenticates with an `exec` plugin or an
   * `auth-provider`, which `@kubernetes/client-node` runs; it is imported on the first request of such a config only.
   */
  readonly authentication: 'native' | 'client-node';
  credentials(): Promise<RequestCredentials>;
}

export interface ExplicitServer {
  /** API server URL, e.g. `https://10.0.0.1:443` or `http://127.0.0.1:8080`. */
  url: string;
  token?: string;
  /** PEM CA bundle for an https server. */
  caData?: string;
  /** Skip verifying an https server's certificate (always true for plain-http servers, where there is none). */
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

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * A connection configuration from exactly one source. Upstream's rule (spec §2.1 step 3): a kubeconfig path when
 * given, otherwise in-cluster; we additionally accept an explicit URL and token.
 */
export function createKubeConfig(source: KubeConfigSource): KubeClientConfig {
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
  if (source.kubeconfigPath) return fromKubeconfigFile(source.kubeconfigPath, source.context);
  if (source.inCluster) return fromCluster(source.env ?? process.env, source.serviceAccountPathPrefix ?? '');
  return fromExplicitServer(source.server as ExplicitServer);
}

function fromKubeconfigFile(path: string, context: string | undefined): KubeClientConfig {
  if (!existsSync(path)) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `kubeconfig file not found: ${path}`);
  }
  const selected = readKubeconfigFile(path, context);
  const server = checkedServer(selected.cluster.server);
  if (selected.cluster.proxyUrl) {
    throw new KubeClientError(
      'KUBE_CONFIG_INVALID',
      `cluster "${selected.clusterName}" sets proxy-url, which podid does not support`,
    );
  }
  if (selected.user.exec !== undefined || selected.user.authProvider !== undefined) {
    return {
      server,
      namespace: selected.namespace,
      authentication: 'client-node',
      credentials: clientNodeCredentials(async () => {
        const { KubeConfig } = await import('@kubernetes/client-node');
        const kubeConfig = new KubeConfig();
        kubeConfig.loadFromFile(path);
        kubeConfig.setCurrentContext(selected.contextName);
        return kubeConfig;
      }),
    };
  }
  return {
    server,
    namespace: selected.namespace,
    authentication: 'native',
    credentials: nativeCredentials(selected.cluster, selected.user),
  };
}

function fromCluster(env: NodeJS.ProcessEnv, prefix: string): KubeClientConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeClientError(
      'KUBE_CONFIG_INVALID',
      'in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT; pass --kubeconfig outside a cluster',
    );
  }
  // As client-node did: the usual insecure ports mean plain http.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const namespaceFile = `${prefix}${SERVICE_ACCOUNT_DIR}/namespace`;
  return {
    server,
    namespace: readOptional(namespaceFile),
    authentication: 'native',
    // Both files are read for every request: kubelet rotates the bound token (hourly) and may renew the CA bundle.
    credentials: nativeCredentials(
      { server, caFile: `${prefix}${SERVICE_ACCOUNT_DIR}/ca.crt` },
      { tokenFile: `${prefix}${SERVICE_ACCOUNT_DIR}/token` },
    ),
  };
}

function fromExplicitServer(explicit: ExplicitServer): KubeClientConfig {
  let url: URL;
  try {
    url = new URL(explicit.url);
  } catch (cause) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `invalid API server URL: ${explicit.url}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `API server URL must be http or https: ${explicit.url}`);
  }
  const server = explicit.url.replace(/\/+$/, '');
  return {
    server,
    namespace: undefined,
    authentication: 'native',
    credentials: nativeCredentials(
      {
        server,
        insecureSkipTlsVerify: explicit.skipTLSVerify ?? false,
        ...(explicit.caData ? { caData: Buffer.from(explicit.caData).toString('base64') } : {}),
      },
      explicit.token ? { token: explicit.token } : {},
    ),
  };
}

function checkedServer(server: string | undefined): string {
  if (!server) throw new KubeClientError('KUBE_CONFIG_INVALID', 'the kubeconfig has no current cluster');
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `invalid API server URL in the kubeconfig: ${server}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeClientError('KUBE_CONFIG_INVALID', `API server URL must be http or https: ${server}`);
  }
  return server.replace(/\/+$/, '');
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

import { readFile } from 'node:fs/promises';
import { KubeClientError } from '../errors.js';
import type { RequestCredentials, TlsSettings } from './kube-config.js';
import type { KubeconfigCluster, KubeconfigUser } from './kubeconfig-file.js';

async function fileOrData(file: string | undefined, base64: string | undefined, what: string) {
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (cause) {
      throw new KubeClientError('KUBE_CONFIG_INVALID', `cannot read the ${what} file ${file}`, { cause });
    }
  }
  return base64 === undefined ? undefined : Buffer.from(base64, 'base64');
}

/**
 * Credentials podid reads itself: bearer token (inline or a file), client certificate and key, basic auth, the CA
 * bundle, insecure-skip-tls-verify and tls-server-name. Files are read again for every request, so a rotated bound
 * service-account token or a renewed certificate takes effect at once (a new certificate gets a new connection pool).
 */
export function nativeCredentials(cluster: KubeconfigCluster, user: KubeconfigUser): () => Promise<RequestCredentials> {
  return async () => {
    const headers: Record<string, string> = {};
    if (user.tokenFile !== undefined) {
      let token: string;
      try {
        token = (await readFile(user.tokenFile, 'utf8')).trim();
      } catch (cause) {
        throw new KubeClientError('KUBE_CONFIG_INVALID', `cannot read the token file ${user.tokenFile}`, { cause });
      }
      if (token !== '') headers['Authorization'] = `Bearer ${token}`;
    } else if (user.token !== undefined) {
      headers['Authorization'] = `Bearer ${user.token}`;
    } else if (user.username !== undefined) {
      headers['Authorization'] = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
    }
    if (user.impersonate !== undefined) headers['Impersonate-User'] = user.impersonate;
    const tls: TlsSettings = {
      rejectUnauthorized: cluster.insecureSkipTlsVerify !== true,
      ca: await fileOrData(cluster.caFile, cluster.caData, 'certificate-authority'),
      cert: await fileOrData(user.certFile, user.certData, 'client-certificate'),
      key: await fileOrData(user.keyFile, user.keyData, 'client-key'),
      servername: cluster.tlsServerName,
    };
    return { headers, tls };
  };
}

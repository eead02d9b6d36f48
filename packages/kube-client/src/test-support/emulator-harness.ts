import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { createKubeConfig } from '../connection/kube-config.js';
import {
  createKubeConnection,
  type KubeConnection,
  type KubeConnectionOptions,
} from '../connection/kube-connection.js';
import { formatUserAgent } from '../connection/user-agent.js';

export const TEST_USER_AGENT = formatUserAgent({
  component: 'MIC',
  version: '0.0.0-test',
  gitCommit: 'abc1234',
  buildDate: '2026-01-01',
});

/**
 * A raw request to the emulator, bypassing podid and client-node: used to seed objects podid would refuse to write
 * (malformed ones) and to read the server's truth when comparing caches.
 */
export async function rawRequest(
  emulator: KubeEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const token = emulator.kubeconfig.users[0]?.user.token ?? '';
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300 && response.status !== 409)
    throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** A running emulator with podid's CRDs installed and the given namespaces created. */
export async function startEmulatorWithCrds(namespaces: readonly string[] = []): Promise<KubeEmulator> {
  const emulator = await startKubeEmulator();
  // Raw POSTs: client-node's typed CRD model would drop the x-kubernetes-* schema keys.
  for (const crd of customResourceDefinitions) {
    await rawRequest(emulator, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  }
  for (const name of namespaces) {
    await rawRequest(emulator, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  }
  return emulator;
}

/** A podid connection to the emulator, through its kubeconfig file (as the apps load it). */
export function connectTo(
  emulator: KubeEmulator,
  options: Partial<Omit<KubeConnectionOptions, 'kubeConfig'>> & { url?: string } = {},
): KubeConnection {
  const { url, ...rest } = options;
  const kubeConfig = url
    ? createKubeConfig({ server: { url, token: emulator.kubeconfig.users[0]?.user.token ?? '' } })
    : createKubeConfig({ kubeconfigPath: emulator.kubeconfigPath });
  return createKubeConnection({ kubeConfig, userAgent: TEST_USER_AGENT, qps: -1, ...rest });
}

/** Waits until `predicate` holds, polling every 20 ms (tests wait for effects, never for fixed times). */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * client-node's typed clients on the emulator: tests seed and inspect objects with the real client library, apart
 * from podid's own transport (which is the thing under test).
 */
export function clientNodeApis(emulator: KubeEmulator): { core: CoreV1Api; customObjects: CustomObjectsApi } {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(emulator.kubeconfigPath);
  return { core: kubeConfig.makeApiClient(CoreV1Api), customObjects: kubeConfig.makeApiClient(CustomObjectsApi) };
}

import { API_GROUP, API_VERSION, CrdKind, crdNames, upgradeLegacyFields } from '@podid/crd-types';
import { httpStatusOf, type KubeConnection } from '@podid/kube-client';

export interface TypeUpgradeOptions {
  readonly connection: Pick<KubeConnection, 'request'>;
  /** `MIC_POD_NAMESPACE`: where the marker ConfigMap lives. */
  readonly namespace: string;
  readonly configMapName: string;
  readonly statusKey: string;
  /** Written as the marker's value. */
  readonly version: string;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface TypeUpgradeResult {
  readonly alreadyDone: boolean;
  /** Objects rewritten, per kind. */
  readonly rewritten: Readonly<Record<string, number>>;
}

interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface RawObject {
  metadata?: { name?: string; namespace?: string };
}

/**
 * The one-time "type upgrade" of spec §1.7: objects written by aad-pod-identity before 1.6 used capitalised field
 * names (`ClientID`, `Selector`, ...). MIC rewrites every such object once in camelCase, then records that in a
 * ConfigMap so later leaders skip it. Identities, bindings and exceptions first, then the assigned identities
 * (whose embedded refs hold copies of the former). Any failure is returned to the caller, which exits as upstream.
 */
export async function runTypeUpgrade(options: TypeUpgradeOptions): Promise<TypeUpgradeResult> {
  const { connection, namespace, configMapName, statusKey } = options;
  const configMaps = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  const configMapPath = `${configMaps}/${encodeURIComponent(configMapName)}`;
  let configMap: ConfigMap;
  try {
    configMap = await connection.request<ConfigMap>({ method: 'GET', path: configMapPath });
  } catch (error) {
    if (httpStatusOf(error) !== 404) throw error;
    configMap = await connection.request<ConfigMap>({
      method: 'POST',
      path: configMaps,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName, namespace } },
    });
  }
  if (configMap.data?.[statusKey] !== undefined) {
    return { alreadyDone: true, rewritten: {} };
  }

  const rewritten: Record<string, number> = {};
  const order = [
    CrdKind.AzureIdentity,
    CrdKind.AzureIdentityBinding,
    CrdKind.AzurePodIdentityException,
    CrdKind.AzureAssignedIdentity,
  ];
  for (const kind of order) {
    const plural = crdNames[kind].plural;
    const list = await connection.request<{ items?: unknown[] }>({
      method: 'GET',
      path: `/apis/${API_GROUP}/${API_VERSION}/${plural}`,
    });
    let count = 0;
    for (const item of list.items ?? []) {
      const { value, changed } = upgradeLegacyFields(kind, item);
      if (!changed) continue;
      const metadata = (value as RawObject).metadata ?? {};
      await connection.request({
        method: 'PUT',
        path: `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(metadata.namespace ?? '')}/${plural}/${encodeURIComponent(metadata.name ?? '')}`,
        body: value,
      });
      count++;
    }
    rewritten[kind] = count;
    options.log('type upgrade: rewrote legacy objects', { kind, count });
  }

  await connection.request({
    method: 'PUT',
    path: configMapPath,
    body: { ...configMap, data: { ...(configMap.data ?? {}), [statusKey]: options.version } },
  });
  return { alreadyDone: false, rewritten };
}

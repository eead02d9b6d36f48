import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, CrdKind, crdNames, upgradeLegacyFields } from '@podid/crd-types';

export interface TypeUpgradeOptions {
  readonly core: Pick<
    CoreV1Api,
    'readNamespacedConfigMap' | 'createNamespacedConfigMap' | 'replaceNamespacedConfigMap'
  >;
  readonly customObjects: Pick<CustomObjectsApi, 'listClusterCustomObject' | 'replaceNamespacedCustomObject'>;
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

function httpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
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
  const { core, customObjects, namespace, configMapName, statusKey } = options;
  let configMap: Awaited<ReturnType<TypeUpgradeOptions['core']['readNamespacedConfigMap']>>;
  try {
    configMap = await core.readNamespacedConfigMap({ namespace, name: configMapName });
  } catch (error) {
    if (httpCode(error) !== 404) throw error;
    configMap = await core.createNamespacedConfigMap({
      namespace,
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
    const list = (await customObjects.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural })) as {
      items?: unknown[];
    };
    let count = 0;
    for (const item of list.items ?? []) {
      const { value, changed } = upgradeLegacyFields(kind, item);
      if (!changed) continue;
      const metadata = (value as RawObject).metadata ?? {};
      await customObjects.replaceNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural,
        namespace: metadata.namespace ?? '',
        name: metadata.name ?? '',
        body: value as object,
      });
      count++;
    }
    rewritten[kind] = count;
    options.log('type upgrade: rewrote legacy objects', { kind, count });
  }

  await core.replaceNamespacedConfigMap({
    namespace,
    name: configMapName,
    body: { ...configMap, data: { ...(configMap.data ?? {}), [statusKey]: options.version } },
  });
  return { alreadyDone: false, rewritten };
}

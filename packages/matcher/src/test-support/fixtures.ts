import type { AzureIdentity, AzureIdentityBinding, AzurePodIdentityException, Pod } from '@podid/crd-types';

/** Small builders for matcher tests; every object is a plain value as parsed from the cluster. */

export function validResourceId(name: string): string {
  return `/subscriptions/sub/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

export function pod(
  namespace: string,
  name: string,
  options: { label?: string | undefined; nodeName?: string; phase?: string; labels?: Record<string, string> } = {},
): Pod {
  const labels: Record<string, string> = { ...options.labels };
  if (options.label !== undefined) labels['aadpodidbinding'] = options.label;
  return {
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels },
    spec: { nodeName: options.nodeName ?? 'node-1' },
    status: { phase: options.phase ?? 'Running' },
  };
}

export function identity(
  namespace: string,
  name: string,
  options: { type?: number; resourceID?: string; clientID?: string; namespacedAnnotation?: string } = {},
): AzureIdentity {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: {
      name,
      namespace,
      resourceVersion: '11',
      ...(options.namespacedAnnotation === undefined
        ? {}
        : { annotations: { 'aadpodidentity.k8s.io/Behavior': options.namespacedAnnotation } }),
    },
    spec: {
      type: options.type ?? 0,
      resourceID: options.resourceID ?? validResourceId(name),
      clientID: options.clientID ?? `client-${namespace}-${name}`,
      // A service principal is only valid with its tenant and the secret reference (validateAzureIdentity).
      ...((options.type ?? 0) === 0 ? {} : { tenantID: 'tenant', clientPassword: { name: `${name}-secret` } }),
    },
  };
}

export function binding(
  namespace: string,
  name: string,
  azureIdentity: string,
  selector: string,
): AzureIdentityBinding {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name, namespace, resourceVersion: '22' },
    spec: { azureIdentity, selector },
  };
}

export function exception(
  namespace: string,
  name: string,
  podLabels: Record<string, string>,
): AzurePodIdentityException {
  return { metadata: { name, namespace }, spec: { podLabels } };
}

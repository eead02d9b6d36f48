import type {
  AzureAssignedIdentity,
  AzureIdentity,
  AzureIdentityBinding,
  AzurePodIdentityException,
  Pod,
} from '@podid/crd-types';
import type {
  ExceptionLookup,
  ManagedIdentitySource,
  PodLookup,
  SecretLookup,
  StandardIdentitySource,
} from '../lookup/lookups.js';

/** In-memory cluster state behind NMI's lookup interfaces; tests mutate the arrays directly. */
export class FakeCluster {
  pods: Pod[] = [];
  identities: AzureIdentity[] = [];
  bindings: AzureIdentityBinding[] = [];
  assigned: AzureAssignedIdentity[] = [];
  exceptions: AzurePodIdentityException[] = [];
  secrets = new Map<string, Record<string, Uint8Array>>();
  secretReads = 0;
  podLookups = 0;

  readonly podLookup: PodLookup = {
    podsByIp: (ip) => {
      this.podLookups++;
      return this.pods.filter((pod) => pod.status?.podIP === ip);
    },
    podByName: (namespace, name) =>
      this.pods.find((pod) => pod.metadata.namespace === namespace && pod.metadata.name === name),
  };

  readonly exceptionLookup: ExceptionLookup = {
    exceptionsInNamespace: (namespace) => this.exceptions.filter((e) => e.metadata.namespace === namespace),
  };

  readonly standard: StandardIdentitySource = {
    mode: 'standard',
    assignedIdentitiesForPod: (namespace, podName) =>
      this.assigned.filter((a) => a.spec.pod === podName && a.spec.podNamespace === namespace),
  };

  readonly managed: ManagedIdentitySource = {
    mode: 'managed',
    bindingsInNamespace: (namespace) => this.bindings.filter((b) => b.metadata.namespace === namespace),
    identitiesInNamespace: (namespace) => this.identities.filter((i) => i.metadata.namespace === namespace),
  };

  readonly secretLookup: SecretLookup = {
    secretData: async (namespace, name) => {
      this.secretReads++;
      const data = this.secrets.get(`${namespace}/${name}`);
      if (!data) throw new Error(`secrets "${name}" not found`);
      return data;
    },
  };

  addPod(pod: Pod): Pod {
    this.pods.push(pod);
    return pod;
  }

  /** MIC's work, done by hand: an AzureAssignedIdentity for pod × identity in the given state. */
  assign(pod: Pod, identity: AzureIdentity, status: string | undefined = 'Assigned'): AzureAssignedIdentity {
    const entry: AzureAssignedIdentity = {
      metadata: {
        name: `${pod.metadata.name}-${pod.metadata.namespace}-${identity.metadata.name}`,
        namespace: 'default',
      },
      spec: {
        azureIdentityRef: identity,
        pod: pod.metadata.name,
        podNamespace: pod.metadata.namespace,
        nodename: 'node-1',
      },
      ...(status === undefined ? {} : { status: { status } }),
    };
    this.assigned.push(entry);
    return entry;
  }

  unassign(pod: Pod): void {
    this.assigned = this.assigned.filter(
      (a) => !(a.spec.pod === pod.metadata.name && a.spec.podNamespace === pod.metadata.namespace),
    );
  }

  setStatus(pod: Pod, status: string): void {
    for (const entry of this.assigned) {
      if (entry.spec.pod === pod.metadata.name && entry.spec.podNamespace === pod.metadata.namespace) {
        entry.status = { status };
      }
    }
  }
}

export function pod(
  name: string,
  namespace: string,
  ip: string,
  extra: { labels?: Record<string, string>; phase?: string; replicaSet?: string } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace,
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.replicaSet
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: extra.replicaSet, uid: 'rs-uid' }] }
        : {}),
    },
    spec: { nodeName: 'node-1' },
    status: { podIP: ip, phase: extra.phase ?? 'Running' },
  };
}

export function msiIdentity(name: string, namespace: string, clientId: string, annotations?: Record<string, string>) {
  const identity: AzureIdentity = {
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      type: 0,
      clientID: clientId,
      resourceID: `/subscriptions/sub/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    },
  };
  return identity;
}

export function servicePrincipalIdentity(
  name: string,
  namespace: string,
  spec: {
    type: 1 | 2;
    clientId: string;
    tenantId: string;
    adEndpoint: string;
    secretName: string;
    auxiliaryTenantIDs?: string[];
  },
): AzureIdentity {
  return {
    metadata: { name, namespace },
    spec: {
      type: spec.type,
      clientID: spec.clientId,
      tenantID: spec.tenantId,
      adEndpoint: spec.adEndpoint,
      clientPassword: { name: spec.secretName, namespace },
      ...(spec.auxiliaryTenantIDs ? { auxiliaryTenantIDs: spec.auxiliaryTenantIDs } : {}),
    },
  };
}

export function binding(name: string, namespace: string, identityName: string, selector: string): AzureIdentityBinding {
  return { metadata: { name, namespace }, spec: { azureIdentity: identityName, selector } };
}

export function exception(
  name: string,
  namespace: string,
  podLabels: Record<string, string>,
): AzurePodIdentityException {
  return { metadata: { name, namespace }, spec: { podLabels } };
}

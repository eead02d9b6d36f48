/** Builders for the objects the sandbox writes: nodes, pods, and podid's custom resources. */
import type { SandboxIdentity, SandboxNode } from './azure-world.js';
import type { KubeObject } from './kube-rest.js';

const GROUP_VERSION = 'aadpodidentity.k8s.io/v1';

export function nodeObject(node: SandboxNode, taints: readonly object[] = []): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'podid.sandbox/kind': node.kind },
    },
    spec: { providerID: node.providerID, ...(taints.length > 0 ? { taints: [...taints] } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface PodSpecInput {
  name: string;
  namespace?: string;
  /** Pod labels; `aadpodidbinding` selects bindings. */
  labels?: Record<string, string>;
  /** Schedule to this node; otherwise the sandbox's scheduler picks one. */
  nodeName?: string;
  annotations?: Record<string, string>;
  image?: string;
  /** Service account the pod runs as (default `default`). */
  serviceAccountName?: string;
}

export function podObject(input: PodSpecInput): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name,
      namespace: input.namespace ?? 'default',
      labels: input.labels ?? {},
      ...(input.annotations ? { annotations: input.annotations } : {}),
    },
    spec: {
      ...(input.nodeName ? { nodeName: input.nodeName } : {}),
      ...(input.serviceAccountName ? { serviceAccountName: input.serviceAccountName } : {}),
      containers: [{ name: 'app', image: input.image ?? 'podid/sandbox-workload:latest' }],
    },
  };
}

export type AzureIdentityInput =
  | {
      kind: 'user-assigned';
      name: string;
      namespace?: string;
      identity: SandboxIdentity;
      annotations?: Record<string, string>;
    }
  | {
      kind: 'service-principal';
      name: string;
      namespace?: string;
      tenantId: string;
      clientId: string;
      /** Secret holding the client secret (key `clientSecret`), created beforehand. */
      secretName: string;
      annotations?: Record<string, string>;
    }
  | {
      /** Type 3: NMI exchanges the pod's service-account token for this app's token; nothing goes to a VM. */
      kind: 'federated';
      name: string;
      namespace?: string;
      tenantId: string;
      clientId: string;
      annotations?: Record<string, string>;
    }
  | {
      kind: 'raw';
      name: string;
      namespace?: string;
      spec: Record<string, unknown>;
      annotations?: Record<string, string>;
    };

export function azureIdentityObject(input: AzureIdentityInput): KubeObject {
  const namespace = input.namespace ?? 'default';
  let spec: Record<string, unknown>;
  switch (input.kind) {
    case 'user-assigned':
      spec = { type: 0, resourceID: input.identity.resourceId, clientID: input.identity.clientId };
      break;
    case 'service-principal':
      spec = {
        type: 1,
        tenantID: input.tenantId,
        clientID: input.clientId,
        clientPassword: { name: input.secretName, namespace },
      };
      break;
    case 'federated':
      spec = { type: 3, tenantID: input.tenantId, clientID: input.clientId };
      break;
    case 'raw':
      spec = input.spec;
      break;
  }
  return {
    apiVersion: GROUP_VERSION,
    kind: 'AzureIdentity',
    metadata: { name: input.name, namespace, ...(input.annotations ? { annotations: input.annotations } : {}) },
    spec,
  };
}

export function azureIdentityBindingObject(input: {
  name: string;
  namespace?: string;
  identityName: string;
  selector: string;
}): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'AzureIdentityBinding',
    metadata: { name: input.name, namespace: input.namespace ?? 'default' },
    spec: { azureIdentity: input.identityName, selector: input.selector },
  };
}

export function podIdentityExceptionObject(input: {
  name: string;
  namespace?: string;
  podLabels: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'AzurePodIdentityException',
    metadata: { name: input.name, namespace: input.namespace ?? 'default' },
    spec: { podLabels: input.podLabels },
  };
}

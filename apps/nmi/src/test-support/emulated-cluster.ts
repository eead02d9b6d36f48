import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AzureEmulator, startAzureEmulator } from '@podid/azure-emulator';
import { customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';

export const NODE_NAME = 'node-1';
const GROUP_PATH = '/apis/aadpodidentity.k8s.io/v1';

export interface TestIdentity {
  readonly name: string;
  readonly id: string;
  readonly clientId: string;
}

/**
 * A kube-emulator with podid's CRDs and an azure-emulator with one VM (node-1) whose IMDS listens on loopback, plus
 * the files a child NMI needs (kubeconfig, a non-kubenet kubelet config, the emulator CA). Everything on 127.0.0.1.
 */
export interface EmulatedCluster {
  readonly kube: KubeEmulator;
  readonly azure: AzureEmulator;
  readonly vmId: string;
  readonly imdsUrl: string;
  readonly identities: readonly [TestIdentity, TestIdentity];
  /** An app registration in the emulated AAD that can get tokens with `secret`. */
  readonly servicePrincipal: { readonly tenantId: string; readonly clientId: string; readonly secret: string };
  /** A kubelet defaults file without kubenet, for `--kubelet-config`. */
  readonly kubeletConfigPath: string;
  readonly caPath: string;
  readonly tempDir: string;
  kubeRequest(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  createNamespace(name: string): Promise<void>;
  /** A running pod on node-1 with `status.podIP` = `ip` and label `aadpodidbinding=<selector>`. */
  createPod(namespace: string, name: string, ip: string, selector?: string): Promise<void>;
  createIdentity(namespace: string, identity: TestIdentity, annotations?: Record<string, string>): Promise<void>;
  createBinding(namespace: string, name: string, identityName: string, selector: string): Promise<void>;
  /** MIC's work done by hand: an AzureAssignedIdentity for pod × identity in `state`. */
  assign(podNamespace: string, pod: string, identity: TestIdentity, state: string, nodeName?: string): Promise<void>;
  /**
   * A Secret `secretName` holding the service principal's secret (unless `createSecret` is false) and an Assigned
   * AzureAssignedIdentity for pod × a type-1 identity `identityName` that points at it, AAD = the emulator.
   */
  assignServicePrincipal(
    podNamespace: string,
    pod: string,
    identityName: string,
    secretName: string,
    createSecret?: boolean,
  ): Promise<void>;
  setAssignedState(podNamespace: string, pod: string, identity: TestIdentity, state: string): Promise<void>;
  /** Adds the identity to node-1's VM through ARM (as MIC would), and waits until ARM has applied it. */
  assignToVm(identity: TestIdentity): Promise<void>;
  close(): Promise<void>;
}

function assignedName(podNamespace: string, pod: string, identity: TestIdentity): string {
  return `${pod}-${podNamespace}-${identity.name}`;
}

export async function startEmulatedCluster(): Promise<EmulatedCluster> {
  const kube = await startKubeEmulator();
  const azure = await startAzureEmulator();
  const tempDir = mkdtempSync(join(tmpdir(), 'podid-nmi-test-'));
  const token = kube.kubeconfig.users[0]?.user.token ?? '';

  const kubeRequest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${kube.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  for (const crd of customResourceDefinitions) {
    await kubeRequest('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  }

  const { admin } = azure;
  const { subscriptionId, tenantId } = admin.createSubscription();
  admin.createResourceGroup({ subscriptionId, name: 'rg-nodes' });
  admin.createResourceGroup({ subscriptionId, name: 'rg-identities' });
  const made = ['web-identity', 'other-identity'].map((name) => {
    const record = admin.createUserAssignedIdentity({ subscriptionId, resourceGroup: 'rg-identities', name });
    return { name, id: record.id, clientId: record.clientId };
  }) as [TestIdentity, TestIdentity];
  const vm = await azure.admin.createVirtualMachine({
    subscriptionId,
    resourceGroup: 'rg-nodes',
    name: NODE_NAME,
    imds: { host: '127.0.0.1' },
  });
  const imdsUrl = vm.imds[0]?.url;
  if (!imdsUrl) throw new Error('the emulated VM has no IMDS listener');
  const armCaller = admin.createServicePrincipal({ tenantId, secret: 'mic-secret' });
  const spSecret = 'sp-secret-value-do-not-log';
  const servicePrincipal = admin.createServicePrincipal({ tenantId, secret: spSecret });

  const kubeletConfigPath = join(tempDir, 'kubelet');
  writeFileSync(kubeletConfigPath, 'KUBELET_FLAGS=--network-plugin=cni --max-pods=30\n');
  const caPath = join(tempDir, 'azure-ca.pem');
  writeFileSync(caPath, azure.caCertPem);

  const armPatch = (path: string, body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const bearer = admin.issueAccessToken({ tenantId, clientId: armCaller.clientId });
      const payload = JSON.stringify(body);
      const req = httpsRequest(
        `${azure.armUrl}${path}?api-version=2019-12-01`,
        {
          method: 'PATCH',
          ca: azure.caCertPem,
          headers: {
            authorization: `Bearer ${bearer}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const cluster: EmulatedCluster = {
    kube,
    azure,
    vmId: vm.id,
    imdsUrl,
    identities: made,
    servicePrincipal: { tenantId, clientId: servicePrincipal.clientId, secret: spSecret },
    kubeletConfigPath,
    caPath,
    tempDir,
    kubeRequest,
    async createNamespace(name) {
      await kubeRequest('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    },
    async createPod(namespace, name, ip, selector) {
      const path = `/api/v1/namespaces/${namespace}/pods`;
      await kubeRequest('POST', path, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, ...(selector ? { labels: { aadpodidbinding: selector } } : {}) },
        spec: { nodeName: NODE_NAME, containers: [{ name: 'app', image: 'app:1' }] },
      });
      const created = await kubeRequest('GET', `${path}/${name}`);
      await kubeRequest('PUT', `${path}/${name}/status`, {
        ...created,
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      });
    },
    async createIdentity(namespace, identity, annotations) {
      await kubeRequest('POST', `${GROUP_PATH}/namespaces/${namespace}/azureidentities`, {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureIdentity',
        metadata: { name: identity.name, namespace, ...(annotations ? { annotations } : {}) },
        spec: { type: 0, resourceID: identity.id, clientID: identity.clientId },
      });
    },
    async createBinding(namespace, name, identityName, selector) {
      await kubeRequest('POST', `${GROUP_PATH}/namespaces/${namespace}/azureidentitybindings`, {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureIdentityBinding',
        metadata: { name, namespace },
        spec: { azureIdentity: identityName, selector },
      });
    },
    async assign(podNamespace, pod, identity, state, nodeName = NODE_NAME) {
      const identityNamespace = podNamespace;
      await kubeRequest('POST', `${GROUP_PATH}/namespaces/default/azureassignedidentities`, {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureAssignedIdentity',
        metadata: {
          name: assignedName(podNamespace, pod, identity),
          namespace: 'default',
          labels: { nodename: nodeName },
        },
        spec: {
          azureIdentityRef: {
            metadata: { name: identity.name, namespace: identityNamespace },
            spec: { type: 0, resourceID: identity.id, clientID: identity.clientId },
          },
          azureBindingRef: {
            metadata: { name: `${identity.name}-binding`, namespace: identityNamespace },
            spec: { azureIdentity: identity.name, selector: identity.name },
          },
          pod,
          podNamespace,
          nodename: nodeName,
        },
        status: { status: state },
      });
    },
    async assignServicePrincipal(podNamespace, pod, identityName, secretName, createSecret = true) {
      if (createSecret) {
        await kubeRequest('POST', `/api/v1/namespaces/${podNamespace}/secrets`, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, namespace: podNamespace },
          type: 'Opaque',
          data: { clientSecret: Buffer.from(spSecret).toString('base64') },
        });
      }
      const spec = {
        type: 1,
        tenantID: tenantId,
        clientID: servicePrincipal.clientId,
        clientPassword: { name: secretName, namespace: podNamespace },
        adEndpoint: `${azure.aadUrl}/`,
      };
      await kubeRequest('POST', `${GROUP_PATH}/namespaces/default/azureassignedidentities`, {
        apiVersion: 'aadpodidentity.k8s.io/v1',
        kind: 'AzureAssignedIdentity',
        metadata: {
          name: `${pod}-${podNamespace}-${identityName}`,
          namespace: 'default',
          labels: { nodename: NODE_NAME },
        },
        spec: {
          azureIdentityRef: { metadata: { name: identityName, namespace: podNamespace }, spec },
          azureBindingRef: {
            metadata: { name: `${identityName}-binding`, namespace: podNamespace },
            spec: { azureIdentity: identityName, selector: identityName },
          },
          pod,
          podNamespace,
          nodename: NODE_NAME,
        },
        status: { status: 'Assigned' },
      });
    },
    async setAssignedState(podNamespace, pod, identity, state) {
      const path = `${GROUP_PATH}/namespaces/default/azureassignedidentities/${assignedName(podNamespace, pod, identity)}`;
      const current = await kubeRequest('GET', path);
      await kubeRequest('PUT', path, { ...current, status: { status: state } });
    },
    async assignToVm(identity) {
      const status = await armPatch(vm.id, {
        identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
      });
      if (status >= 300) throw new Error(`ARM PATCH answered ${status}`);
      const deadline = Date.now() + 10_000;
      const lower = identity.id.toLowerCase();
      while (!admin.identityState(vm.id).userAssignedIdentities.some((id) => id.toLowerCase() === lower)) {
        if (Date.now() > deadline) throw new Error('ARM did not apply the identity assignment');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await Promise.allSettled([kube.close(), azure.close()]);
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

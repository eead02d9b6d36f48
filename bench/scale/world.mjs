// The large cluster the scale bench runs against: the kube-emulator in a child process, the azure-emulator in this
// process (ARM PATCH latency 1 s), 5,000 nodes (50 VMSSs of 90 instances plus 500 plain VMs), 200 identities and
// bindings, and `pods` pods that each carry a binding label. One VMSS instance (NMI_NODE) has its own IMDS and 250 of
// the pods, with loopback pod IPs, so a real NMI can serve them.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startAzureEmulator } from '@podid/azure-emulator';
import { customResourceDefinitions } from '@podid/crd-types';
import { cpuProfileFlags } from './processes.mjs';

export const SUBSCRIPTION = '00000000-0000-0000-0000-00000000c0de';
const TENANT = '11111111-2222-3333-4444-555555555555';
const NODE_RG = 'mc-nodes';
const IDENTITY_RG = 'identities';
const MIC_CLIENT_ID = '99999999-8888-7777-6666-555555555555';
const MIC_SECRET = 'scale-bench-secret';

export const SHAPE = { scaleSets: 50, instancesPerScaleSet: 90, virtualMachines: 500, identities: 200, namespaces: 20 };
export const NMI_NODE = 'vmss-00-0';
export const NMI_NODE_PODS = 250;
const CONCURRENCY = 64;

/** The pod IP of the i-th pod on NMI's node: loopback, so the bench can call NMI from that address. */
export const nmiPodIp = (i) => `127.0.${2 + Math.floor(i / 200)}.${1 + (i % 200)}`;

export function nodeNames() {
  const names = [];
  for (let s = 0; s < SHAPE.scaleSets; s++)
    for (let i = 0; i < SHAPE.instancesPerScaleSet; i++) names.push(`vmss-${String(s).padStart(2, '0')}-${i}`);
  for (let v = 0; v < SHAPE.virtualMachines; v++) names.push(`vm-${String(v).padStart(3, '0')}`);
  return names;
}

/** A pod as a Deployment makes it: owner, several labels, one container with resources, env, mounts, probes. */
export function podBody(name, namespace, nodeName, selector, ip) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: selector, aadpodidbinding: selector, 'pod-template-hash': '7d9f8b6c5d', tier: 'backend' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T00:00:00Z' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${selector}-7d9f8b6c5d`,
          uid: '6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName,
      serviceAccountName: 'default',
      containers: [
        {
          name: 'app',
          image: `registry.example/${selector}:1.4.2`,
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'AZURE_CLIENT_ID', value: '00000000-0000-0000-0000-000000000000' },
            { name: 'LOG_LEVEL', value: 'info' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
        },
      ],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
    ...(ip ? { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } : {}),
  };
}

/**
 * A Node as AKS reports it: a dozen labels, and a status with conditions, addresses, capacity, node info and the
 * cached images (about 7 KiB of JSON; the images list is most of it, as on real nodes).
 */
export function nodeBody(node, i) {
  const pool = node.name.startsWith('vm-') ? 'vmpool' : node.name.split('-').slice(0, 2).join('-');
  const condition = (type, status, reason) => ({
    type,
    status,
    reason,
    message: `kubelet reports ${reason}`,
    lastHeartbeatTime: '2026-12-04T00:00:00Z',
    lastTransitionTime: '2026-12-01T00:00:00Z',
  });
  const resources = { cpu: '8', memory: '32868764Ki', pods: '250', 'ephemeral-storage': '129886128Ki' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.azure.com/agentpool': pool,
        'kubernetes.azure.com/cluster': 'MC_rg_scale_westeurope',
        'kubernetes.azure.com/mode': 'user',
        'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202611.01.0',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'Standard_D8s_v5',
        'topology.kubernetes.io/region': 'westeurope',
        'topology.kubernetes.io/zone': `westeurope-${1 + (i % 3)}`,
        agentpool: pool,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { providerID: node.providerID, podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24` },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        condition('Ready', 'True', 'KubeletReady'),
      ],
      addresses: [
        { type: 'InternalIP', address: `10.224.${(i >> 8) & 255}.${i & 255}` },
        { type: 'Hostname', address: node.name },
      ],
      nodeInfo: {
        machineID: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
        systemUUID: '4c4c4544-0042-3010-8052-b7c04f4b4e32',
        bootID: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
        kernelVersion: '5.15.0-1074-azure',
        osImage: 'Ubuntu 22.04.5 LTS',
        containerRuntimeVersion: 'containerd://1.7.22-1',
        kubeletVersion: 'v1.30.6',
        kubeProxyVersion: 'v1.30.6',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: Array.from({ length: 30 }, (_, k) => ({
        names: [
          `mcr.microsoft.com/oss/kubernetes/component-${k}@sha256:${String(k).padStart(2, '0').repeat(32)}`,
          `mcr.microsoft.com/oss/kubernetes/component-${k}:v1.${k}.0`,
        ],
        sizeBytes: 10_000_000 + k * 1_000_000,
      })),
    },
  };
}

export const selectorOf = (i) => `id-${String(i % SHAPE.identities).padStart(3, '0')}`;
export const namespaceOf = (i) => `ns-${String(i % SHAPE.namespaces).padStart(2, '0')}`;

/** Runs `task(i)` for i in [0, count) with `limit` in flight. */
export async function forEachConcurrently(count, limit, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

export async function startWorld() {
  const child = fork(new URL('./kube-emulator-child.mjs', import.meta.url), [], {
    // BENCH_SCALE_CPU_PROF profiles the emulator too (written when the bench disconnects from it).
    execArgv: ['--expose-gc', ...cpuProfileFlags()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`kube-emulator child exited ${code}`)));
  });
  const kubeUrl = new URL(ready.url);
  const kubeconfigPath = ready.kubeconfigPath;
  const azure = await startAzureEmulator({
    latency: { virtualMachineUpdateMs: 1000, scaleSetUpdateMs: 1000 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const kube = (method, apiPath, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: kubeUrl.hostname,
          port: kubeUrl.port,
          method,
          path: apiPath,
          agent,
          headers: payload ? { 'content-type': 'application/json' } : {},
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${apiPath} -> ${res.statusCode}: ${text}`));
            else resolve(text);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const emulatorMemory = () =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send({ type: 'memory' });
    });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podid-scale-'));
  azure.admin.createSubscription({ subscriptionId: SUBSCRIPTION, tenantId: TENANT });
  azure.admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: NODE_RG });
  azure.admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: IDENTITY_RG });
  azure.admin.createServicePrincipal({ tenantId: TENANT, clientId: MIC_CLIENT_ID, secret: MIC_SECRET });
  fs.writeFileSync(path.join(dir, 'ca.pem'), azure.caCertPem);
  fs.writeFileSync(
    path.join(dir, 'environment.json'),
    JSON.stringify({
      name: 'AzureEmulator',
      resourceManagerEndpoint: azure.armUrl,
      activeDirectoryEndpoint: azure.aadUrl,
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'azure.json'),
    JSON.stringify({
      cloud: 'AzureStackCloud',
      tenantId: TENANT,
      aadClientId: MIC_CLIENT_ID,
      aadClientSecret: MIC_SECRET,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODE_RG,
    }),
  );
  fs.writeFileSync(path.join(dir, 'kubelet'), 'KUBELET_FLAGS=--network-plugin=cni --max-pods=250\n');

  return {
    child,
    azure,
    kube,
    kubeconfigPath,
    dir,
    emulatorMemory,
    nmiImdsUrl: undefined,
    async close() {
      agent.destroy();
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
      await azure.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Fills the world: CRDs, namespaces, nodes (Kubernetes and ARM), identities, bindings and `pods` pods.
 * `options.armIdentities` (prefill, see prefill.mjs): VMSS/VM name → identity names it is created with.
 */
export async function fillWorld(world, pods, options = {}) {
  const { azure, kube } = world;
  const timings = {};
  // The ARM identities first (in-process, no time to speak of), so a prefilled VMSS/VM can be created with its own.
  const identityIds = new Map();
  for (let i = 0; i < SHAPE.identities; i++) {
    const name = selectorOf(i);
    identityIds.set(
      name,
      azure.admin.createUserAssignedIdentity({ subscriptionId: SUBSCRIPTION, resourceGroup: IDENTITY_RG, name }),
    );
  }
  const userAssignedIdentities = (computeName) =>
    [...(options.armIdentities?.get(computeName) ?? [])].sort().map((name) => identityIds.get(name).id);
  let t0 = performance.now();
  for (const crd of customResourceDefinitions)
    await kube('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  for (let n = 0; n < SHAPE.namespaces; n++)
    await kube('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `ns-${String(n).padStart(2, '0')}` },
    });

  const nodes = [];
  for (let s = 0; s < SHAPE.scaleSets; s++) {
    const name = `vmss-${String(s).padStart(2, '0')}`;
    const instances = Array.from({ length: SHAPE.instancesPerScaleSet }, (_, i) => ({
      nodeName: `${name}-${i}`,
      instanceId: String(i),
      imds: `${name}-${i}` === NMI_NODE ? { host: '127.0.0.1' } : false,
    }));
    const created = await azure.admin.createVirtualMachineScaleSet({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODE_RG,
      name,
      instances,
      userAssignedIdentities: userAssignedIdentities(name),
    });
    const imds = created.imds.find((e) => e.nodeName === NMI_NODE);
    if (imds) world.nmiImdsUrl = imds.url;
    for (const instance of instances)
      nodes.push({
        name: instance.nodeName,
        providerID: `azure://${created.id}/virtualMachines/${instance.instanceId}`,
      });
  }
  for (let v = 0; v < SHAPE.virtualMachines; v++) {
    const name = `vm-${String(v).padStart(3, '0')}`;
    const created = await azure.admin.createVirtualMachine({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODE_RG,
      name,
      imds: false,
      userAssignedIdentities: userAssignedIdentities(name),
    });
    nodes.push({ name, providerID: `azure://${created.id}` });
  }
  await forEachConcurrently(nodes.length, 64, (i) => kube('POST', '/api/v1/nodes', nodeBody(nodes[i], i)));
  timings.nodesMs = Math.round(performance.now() - t0);

  t0 = performance.now();
  for (let i = 0; i < SHAPE.identities; i++) {
    const name = selectorOf(i);
    const namespace = namespaceOf(i);
    const identity = identityIds.get(name);
    await kube('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentities`, {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name, namespace },
      spec: { type: 0, resourceID: identity.id, clientID: identity.clientId },
    });
    await kube('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentitybindings`, {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentityBinding',
      metadata: { name: `${name}-binding`, namespace },
      spec: { azureIdentity: name, selector: name },
    });
  }
  timings.identitiesMs = Math.round(performance.now() - t0);

  // Pods: the first NMI_NODE_PODS on NMI's node (Running, loopback IPs), the rest spread over the other nodes.
  // Every pod lives in its identity's namespace, so it matches under --forceNamespaced too.
  t0 = performance.now();
  const others = nodes.filter((n) => n.name !== NMI_NODE).map((n) => n.name);
  const podSpecs = [];
  await forEachConcurrently(pods, CONCURRENCY, async (i) => {
    const spec = podSpec(i, others);
    podSpecs[i] = spec;
    await createPod(kube, spec);
  });
  timings.podsMs = Math.round(performance.now() - t0);
  timings.podsPerSecond = Math.round(pods / (timings.podsMs / 1000));
  return { timings, nodes, others, podSpecs };
}

export function podSpec(i, others, prefix = 'pod') {
  const onNmiNode = prefix === 'pod' && i < NMI_NODE_PODS;
  return {
    name: `${prefix}-${String(i).padStart(6, '0')}`,
    namespace: namespaceOf(i),
    nodeName: onNmiNode ? NMI_NODE : others[i % others.length],
    selector: selectorOf(i),
    ip: onNmiNode ? nmiPodIp(i) : undefined,
  };
}

export async function createPod(kube, spec) {
  const body = podBody(spec.name, spec.namespace, spec.nodeName, spec.selector, spec.ip);
  await kube('POST', `/api/v1/namespaces/${spec.namespace}/pods`, body);
  // The API server sets a new pod's status to Pending; NMI's pods need their IP, as the kubelet would write it.
  if (spec.ip) {
    const current = JSON.parse(await kube('GET', `/api/v1/namespaces/${spec.namespace}/pods/${spec.name}`));
    await kube('PUT', `/api/v1/namespaces/${spec.namespace}/pods/${spec.name}/status`, {
      ...current,
      status: body.status,
    });
  }
}

// BENCH_SCALE_PREFILL=1: the bench writes the settled state a completed cold cycle leaves, so warm, churn and NMI
// can be measured at 100k without MIC's ~400 s cold cycle first.
//  - Kubernetes: every pod's AzureAssignedIdentity, already `Assigned`, exactly as MIC writes it (the object
//    @podid/reconciler's AssignedIdentityObjectBuilder.create makes from @podid/matcher's desired assignment, whose
//    status MIC then patches to `Assigned`): name from assignedIdentityName, namespace `default`, label
//    `nodename`, MIC's finalizer, spec with full copies of the identity and binding as listed (apiVersion/kind set).
//    AzureAssignedIdentity has no status subresource (§1.1), so the POST stores the status as sent.
//  - the type-upgrade marker: ConfigMap default/aad-pod-identity-config with `type-upgrade-status: <MIC's version>`,
//    as MIC's first leader writes it after rewriting legacy objects (without it, MIC would list every
//    AzureAssignedIdentity once more for the type upgrade before its informers start).
//  - ARM: each VMSS/VM is created with the user-assigned identities of the pods on its nodes
//    (`identitiesByComputeName`, passed to fillWorld before the compute is created).
// A MIC started on this state must find nothing to do; index.mjs checks that its first cycle wrote nothing.
import { readFileSync } from 'node:fs';
import { assignedIdentityName } from '@podid/matcher';
import { forEachConcurrently, NMI_NODE, nodeNames, podSpec, SHAPE } from './world.mjs';

const GROUP_VERSION = 'aadpodidentity.k8s.io/v1';
const FINALIZER = 'azureassignedidentity.finalizers.aadpodidentity.k8s.io';
// More than the fill's 64: each request is small and the emulator child is the only thing working.
const CONCURRENCY = 128;

/** The VMSS or VM name (ARM resource name) a node of the bench's cluster belongs to. */
export function computeNameOf(nodeName) {
  return nodeName.startsWith('vmss-') ? nodeName.split('-').slice(0, 2).join('-') : nodeName;
}

/**
 * Compute name → the identity names (selectors; identity i is named selectorOf(i)) of the pods fillWorld will put
 * on its nodes. Computed from the same deterministic podSpec the fill uses.
 */
export function identitiesByComputeName(pods) {
  const others = nodeNames().filter((n) => n !== NMI_NODE);
  const byCompute = new Map();
  for (let i = 0; i < pods; i++) {
    const spec = podSpec(i, others);
    const compute = computeNameOf(spec.nodeName);
    if (!byCompute.has(compute)) byCompute.set(compute, new Set());
    byCompute.get(compute).add(spec.selector);
  }
  return byCompute;
}

async function listAll(kube, resource) {
  const items = [];
  let token = '';
  do {
    const page = JSON.parse(
      await kube(
        'GET',
        `/apis/${GROUP_VERSION}/${resource}?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      ),
    );
    items.push(...page.items);
    token = page.metadata.continue ?? '';
  } while (token);
  return items;
}

/** MIC's version, which its type upgrade records in the marker ConfigMap. */
const MIC_VERSION = JSON.parse(readFileSync(new URL('../../apps/mic/package.json', import.meta.url), 'utf8')).version;

/**
 * POSTs every pod's AzureAssignedIdentity, status `Assigned`, and the type-upgrade marker (MIC in namespace
 * `default`, as the bench runs it); returns { count, ms, perSecond }.
 */
export async function prefillAssignedIdentities(world, podSpecs) {
  const t0 = performance.now();
  await world.kube('POST', '/api/v1/namespaces/default/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aad-pod-identity-config', namespace: 'default' },
    data: { 'type-upgrade-status': MIC_VERSION },
  });
  const key = (o) => `${o.metadata.namespace}/${o.metadata.name}`;
  // As MIC embeds them: the listed object with apiVersion/kind filled in, one shared copy per identity/binding.
  const identities = new Map(
    (await listAll(world.kube, 'azureidentities')).map((o) => [
      key(o),
      { ...o, apiVersion: GROUP_VERSION, kind: 'AzureIdentity' },
    ]),
  );
  const bindings = new Map(
    (await listAll(world.kube, 'azureidentitybindings')).map((o) => [
      key(o),
      { ...o, apiVersion: GROUP_VERSION, kind: 'AzureIdentityBinding' },
    ]),
  );
  if (identities.size !== SHAPE.identities || bindings.size !== SHAPE.identities)
    throw new Error(
      `prefill: expected ${SHAPE.identities} identities and bindings, listed ${identities.size}/${bindings.size}`,
    );
  await forEachConcurrently(podSpecs.length, CONCURRENCY, async (i) => {
    const spec = podSpecs[i];
    // fillWorld puts identity `selector` and its binding `<selector>-binding` in the pod's own namespace.
    const identity = identities.get(`${spec.namespace}/${spec.selector}`);
    const binding = bindings.get(`${spec.namespace}/${spec.selector}-binding`);
    if (!identity || !binding) throw new Error(`prefill: no identity/binding ${spec.selector} in ${spec.namespace}`);
    const name = assignedIdentityName({
      podName: spec.name,
      podNamespace: spec.namespace,
      identityName: identity.metadata.name,
      identityNamespace: identity.metadata.namespace,
    });
    await world.kube('POST', `/apis/${GROUP_VERSION}/namespaces/default/azureassignedidentities`, {
      apiVersion: GROUP_VERSION,
      kind: 'AzureAssignedIdentity',
      metadata: { name, namespace: 'default', labels: { nodename: spec.nodeName }, finalizers: [FINALIZER] },
      spec: {
        azureIdentityRef: identity,
        azureBindingRef: binding,
        pod: spec.name,
        podNamespace: spec.namespace,
        nodename: spec.nodeName,
      },
      status: { status: 'Assigned', availableReplicas: 1 },
    });
  });
  const ms = Math.round(performance.now() - t0);
  return { count: podSpecs.length, ms, perSecond: Math.round(podSpecs.length / (ms / 1000)) };
}

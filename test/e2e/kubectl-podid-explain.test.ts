/**
 * `kubectl podid explain`, invoked through the real kubectl (plugin found on PATH), against the kube-emulator with
 * the built MIC running against the azure-emulator: one scenario per reason, a healthy pod, several identities, and
 * an assignment stuck in Created with MIC's events and Lease.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { KubectlPlugin } from '../../apps/kubectl-podid/src/test-support/kubectl-plugin.js';
import { eventually, MicWorld, requireBuiltMic, SUBSCRIPTION } from '../../apps/mic/src/test-support/mic-world.js';

// biome-ignore lint/suspicious/noExplicitAny: the plugin's JSON output, read loosely by assertions
type Json = Record<string, any>;

let world: MicWorld;
let plugin: KubectlPlugin;
let node: string;

async function createPod(
  name: string,
  options: { labels?: Record<string, string>; namespace?: string; nodeName?: string | null } = {},
): Promise<void> {
  const namespace = options.namespace ?? 'default';
  await world.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: options.labels ?? {} },
    spec: {
      ...(options.nodeName === null ? {} : { nodeName: options.nodeName ?? node }),
      containers: [{ name: 'app', image: 'app' }],
    },
  });
}

async function createIdentity(
  name: string,
  namespace: string,
  extra: { annotations?: Record<string, string>; resourceID?: string } = {},
) {
  const azure = world.identity(`${namespace}-${name}`);
  await world.request('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentities`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { type: 0, resourceID: extra.resourceID ?? azure.resourceId, clientID: azure.clientId },
  });
  return azure;
}

async function createBinding(name: string, namespace: string, identity: string, selector: string) {
  await world.request('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentitybindings`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name, namespace },
    spec: { azureIdentity: identity, selector },
  });
}

async function statesOf(pod: string, namespace = 'default'): Promise<string[]> {
  return (await world.assignedIdentities())
    .filter((a) => a.spec.pod === pod && a.spec.podNamespace === namespace)
    .map((a) => a.status?.status ?? '')
    .sort();
}

const explain = (pod: string, ...args: string[]) =>
  plugin.json<Json>(['explain', 'pod', pod, ...args, '--kubeconfig', world.kube.kubeconfigPath]);

beforeAll(async () => {
  requireBuiltMic();
  plugin = KubectlPlugin.install();
  world = await MicWorld.start();
  [node] = (await world.scaleSet('pool-a', 1)) as [string];
  await world.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a' },
  });

  // Healthy: one identity, one binding.
  await createIdentity('web-id', 'default');
  await createBinding('web-binding', 'default', 'web-id', 'web');
  await createPod('healthy', { labels: { aadpodidbinding: 'web' } });
  // Several identities for one selector.
  await createIdentity('multi-a', 'default');
  await createIdentity('multi-b', 'default');
  await createBinding('multi-a-binding', 'default', 'multi-a', 'multi');
  await createBinding('multi-b-binding', 'default', 'multi-b', 'multi');
  await createPod('several', { labels: { aadpodidbinding: 'multi' } });
  // No label; empty label; near misses.
  await createPod('unlabelled', { labels: { app: 'x' } });
  await createPod('empty-label', { labels: { aadpodidbinding: '' } });
  await createPod('wrong-case', { labels: { aadpodidbinding: 'Web' } });
  await createPod('typo', { labels: { aadpodidbinding: 'wbe' } });
  // Identity namespaced by annotation, pod in another namespace.
  await createIdentity('team-id', 'team-a', { annotations: { 'aadpodidentity.k8s.io/Behavior': 'namespaced' } });
  await createBinding('team-binding', 'team-a', 'team-id', 'team');
  await createPod('cross-ns', { labels: { aadpodidbinding: 'team' } });
  // Binding naming an identity that does not exist here (one of that name lives in team-a).
  await createIdentity('ghost', 'team-a');
  await createBinding('ghost-binding', 'default', 'ghost', 'ghostly');
  await createPod('missing-identity', { labels: { aadpodidbinding: 'ghostly' } });
  // Identity whose resourceID fails MIC's check.
  await createIdentity('bad-id', 'default', { resourceID: '/subscriptions/x/not-an-identity' });
  await createBinding('bad-binding', 'default', 'bad-id', 'bad');
  await createPod('invalid-identity', { labels: { aadpodidbinding: 'bad' } });
  // Not scheduled; finished.
  await createPod('unscheduled', { labels: { aadpodidbinding: 'web' }, nodeName: null });
  await createPod('finished', { labels: { aadpodidbinding: 'web' } });
  await world.request('PUT', '/api/v1/namespaces/default/pods/finished/status', {
    ...((await world.request('GET', '/api/v1/namespaces/default/pods/finished')) as Json),
    status: { phase: 'Succeeded' },
  });
  // Exception pod.
  await world.request('POST', '/apis/aadpodidentity.k8s.io/v1/namespaces/default/azurepodidentityexceptions', {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzurePodIdentityException',
    metadata: { name: 'system-pods' },
    spec: { podLabels: { role: 'system' } },
  });
  await createPod('excepted', { labels: { role: 'SYSTEM' } });
  // Stuck: ARM refuses the identity (LinkedAuthorizationFailed), so MIC leaves the assignment Created with an event.
  const denied = await createIdentity('denied-id', 'default');
  world.azure.admin.denyIdentityAssignment(denied.resourceId);
  await createBinding('denied-binding', 'default', 'denied-id', 'denied');
  await createPod('stuck', { labels: { aadpodidbinding: 'denied' } });
  // Lost: the node's VMSS does not exist in Azure; MIC cannot even read it, so the assignment stays Created.
  await world.request('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'lost-0' },
    spec: {
      providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/mc-nodes/providers/Microsoft.Compute/virtualMachineScaleSets/lost-pool/virtualMachines/0`,
    },
  });
  await createPod('lost', { labels: { aadpodidbinding: 'web' }, nodeName: 'lost-0' });

  const mic = world.startMic(['--clientQps=100']);
  await mic.waitForLine(/sync loop started/);
  await eventually('the healthy pods Assigned and the stuck one Created with an event', async () => {
    const ready =
      (await statesOf('healthy')).join() === 'Assigned' &&
      (await statesOf('several')).join() === 'Assigned,Assigned' &&
      (await statesOf('stuck')).join() === 'Created' &&
      (await statesOf('lost')).join() === 'Created';
    if (!ready) return undefined;
    const events = (await world.request('GET', '/api/v1/namespaces/default/events')) as { items: Json[] };
    return events.items.some((e) => e.reason === 'binding apply error' && e.involvedObject?.name === 'denied-binding')
      ? true
      : undefined;
  }).catch(async (error: Error) => {
    const states = (await world.assignedIdentities()).map((a) => `${a.spec.pod}:${a.status?.status}`);
    const events = (await world.request('GET', '/api/v1/namespaces/default/events')) as { items: Json[] };
    throw new Error(
      `${error.message}\nstates: ${states.join(' ')}\nevents: ${events.items.map((e) => e.reason).join(', ')}\n${mic.lines.slice(-20).join('\n')}`,
    );
  });
}, 120_000);

afterAll(async () => {
  await world?.close();
  plugin?.remove();
});

describe('kubectl podid explain (through kubectl, MIC running)', () => {
  test('a healthy pod: matched, Assigned on its VMSS, the one identity NMI picks; exit 0', async () => {
    const { code, json } = await explain('healthy');
    expect(code).toBe(0);
    expect(json.verdict).toEqual({
      hasAssignedIdentity: true,
      summary: 'pod default/healthy has identity default/web-id (Assigned)',
    });
    expect(json.bindings).toEqual([
      expect.objectContaining({
        binding: { namespace: 'default', name: 'web-binding' },
        matched: true,
        code: 'matched',
      }),
    ]);
    expect(json.assignedIdentities).toHaveLength(1);
    expect(json.assignedIdentities[0]).toMatchObject({
      state: 'Assigned',
      nodeName: node,
      identity: { namespace: 'default', name: 'web-id' },
      armTarget: { kind: 'vmss', subscriptionId: SUBSCRIPTION, resourceGroup: 'mc-nodes', name: 'pool-a' },
      events: null,
    });
    expect(json.assignedIdentities[0].ageSeconds).toEqual(expect.any(Number));
    expect(json.nmiDefault).toMatchObject({ identity: { name: 'web-id' }, arbitrary: false });
    expect(json.micLeader).toBeNull();
  });

  test('several identities: both Assigned, and the warning that NMI’s pick without client_id is arbitrary', async () => {
    const { code, json } = await explain('several');
    expect(code).toBe(0);
    expect(json.bindings.map((b: Json) => [b.binding.name, b.code])).toEqual([
      ['multi-a-binding', 'matched'],
      ['multi-b-binding', 'matched'],
    ]);
    expect(json.nmiDefault.arbitrary).toBe(true);
    expect(json.nmiDefault.candidates.map((c: Json) => c.name).sort()).toEqual(['multi-a', 'multi-b']);
    expect(json.nmiDefault.note).toMatch(
      /2 identities are Assigned: without client_id NMI takes whichever .* arbitrary/,
    );
    const table = await plugin.run(['explain', 'pod', 'several', '--kubeconfig', world.kube.kubeconfigPath]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/WARNING: 2 identities are Assigned/);
  });

  test('no aadpodidbinding label; exit 1', async () => {
    const { code, json } = await explain('unlabelled');
    expect(code).toBe(1);
    expect(json.podReasons).toEqual([
      { code: 'pod_no_label', message: 'pod default/unlabelled has no aadpodidbinding label' },
    ]);
    expect(json.assignedIdentities).toEqual([]);
  });

  test('an empty label', async () => {
    const { code, json } = await explain('empty-label');
    expect(code).toBe(1);
    expect(json.podReasons.map((r: Json) => r.code)).toEqual(['pod_empty_label']);
  });

  test('a label that differs from a selector only in case: the near miss is named', async () => {
    const { code, json } = await explain('wrong-case');
    expect(code).toBe(1);
    expect(json.podReasons[0]).toEqual({
      code: 'pod_no_matching_binding',
      message: 'no AzureIdentityBinding with selector "Web" for pod default/wrong-case',
    });
    expect(json.nearestSelectors[0]).toEqual({
      selector: 'web',
      binding: { namespace: 'default', name: 'web-binding' },
      distance: 1,
      caseInsensitiveMatch: true,
    });
  });

  test('a typo in the label: the nearest selector by edit distance', async () => {
    const { json } = await explain('typo');
    expect(json.podReasons.map((r: Json) => r.code)).toEqual(['pod_no_matching_binding']);
    expect(json.nearestSelectors[0]).toMatchObject({ selector: 'web', distance: 2, caseInsensitiveMatch: false });
    const table = await plugin.run(['explain', 'pod', 'typo', '--kubeconfig', world.kube.kubeconfigPath]);
    expect(table.stdout).toMatch(/Nearest selectors[\s\S]*"web"\s+default\/web-binding\s+2/);
  });

  test('binding and identity in another namespace, identity annotated namespaced', async () => {
    const { code, json } = await explain('cross-ns');
    expect(code).toBe(1);
    expect(json.bindings).toEqual([
      expect.objectContaining({
        binding: { namespace: 'team-a', name: 'team-binding' },
        matched: false,
        code: 'cross_namespace',
        namespacedBy: 'annotation',
      }),
    ]);
    expect(json.bindings[0].message).toMatch(/namespaced and pod default\/cross-ns is in another namespace.*annotated/);
  });

  test('the binding’s identity does not exist in its namespace (one of that name elsewhere is pointed out)', async () => {
    const { code, json } = await explain('missing-identity');
    expect(code).toBe(1);
    expect(json.bindings[0]).toMatchObject({
      code: 'identity_not_found',
      identity: { namespace: 'default', name: 'ghost' },
    });
    expect(json.bindings[0].message).toMatch(
      /ghost identity not found when using default\/ghost-binding binding .*namespace team-a/,
    );
  });

  test('an invalid identity, with the validation error', async () => {
    const { code, json } = await explain('invalid-identity');
    expect(code).toBe(1);
    expect(json.bindings[0]).toMatchObject({ code: 'invalid_resource_id', matched: false });
    expect(json.bindings[0].message).toMatch(/not-an-identity/);
    expect(json.verdict.summary).toMatch(/^identity default\/bad-id is invalid: .*not-an-identity/);
  });

  test('a pod not scheduled yet', async () => {
    const { code, json } = await explain('unscheduled');
    expect(code).toBe(1);
    expect(json.podReasons.map((r: Json) => r.code)).toEqual(['pod_no_node']);
    expect(json.bindings).toEqual([
      expect.objectContaining({ binding: { namespace: 'default', name: 'web-binding' }, code: 'pod_no_node' }),
    ]);
  });

  test('a finished pod', async () => {
    const { code, json } = await explain('finished');
    expect(code).toBe(1);
    expect(json.pod.phase).toBe('Succeeded');
    expect(json.podReasons).toEqual([
      { code: 'pod_terminal_phase', message: 'pod default/finished is Succeeded; it needs no identity' },
    ]);
  });

  test('an exception pod (label value matched ignoring case)', async () => {
    const { code, json } = await explain('excepted');
    expect(code).toBe(1);
    expect(json.podReasons.map((r: Json) => r.code)).toEqual(['pod_exception', 'pod_no_label']);
    expect(json.podReasons[0].message).toMatch(/AzurePodIdentityException default\/system-pods .* IMDS unchecked/);
    expect(json.nmiDefault.note).toMatch(/exception: NMI forwards its requests to IMDS/);
  });

  test('stuck in Created: MIC’s warning event with the ARM error, and the MIC leader holding the Lease', async () => {
    const { code, json } = await explain('stuck');
    expect(code).toBe(1);
    expect(json.assignedIdentities).toHaveLength(1);
    const [stuck] = json.assignedIdentities;
    expect(stuck).toMatchObject({ state: 'Created', nodeName: node, armTarget: { kind: 'vmss', name: 'pool-a' } });
    const applyError = stuck.events.find((e: Json) => e.reason === 'binding apply error');
    expect(applyError).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'AzureIdentityBinding', namespace: 'default', name: 'denied-binding' },
    });
    expect(applyError.message).toMatch(
      /failed to apply binding default\/denied-binding node pool-a-0 for pod default\/stuck, error: .*does not have permission to perform action 'Microsoft.ManagedIdentity\/userAssignedIdentities\/assign\/action'/,
    );
    expect(json.micLeader).toMatchObject({
      namespace: 'default',
      name: 'aad-pod-identity-mic',
      found: true,
      holder: 'mic-0',
      held: true,
    });
    expect(json.verdict.summary).toMatch(/identity default\/denied-id is still Created/);
    expect(json.nmiDefault.note).toMatch(/no Assigned identity yet/);
    const table = await plugin.run(['explain', 'pod', 'stuck', '--kubeconfig', world.kube.kubeconfigPath]);
    expect(table.stdout).toMatch(/MIC events for default\/\S+ \(Created for/);
    expect(table.stdout).toMatch(/MIC leader: mic-0 holds Lease default\/aad-pod-identity-mic/);
  });

  test('Created on a VMSS that ARM does not know: the VMSS named, only events about this pod, the leader shown', async () => {
    const { code, json } = await explain('lost');
    expect(code).toBe(1);
    const [lost] = json.assignedIdentities;
    expect(lost).toMatchObject({
      state: 'Created',
      nodeName: 'lost-0',
      armTarget: { kind: 'vmss', subscriptionId: SUBSCRIPTION, resourceGroup: 'mc-nodes', name: 'lost-pool' },
    });
    // The binding also serves `healthy`, whose "binding applied" event must not be shown here.
    for (const event of lost.events as Json[]) {
      expect(event.involvedObject.kind === 'Pod' ? event.involvedObject.name : event.message).toMatch(/lost/);
    }
    expect(json.micLeader).toMatchObject({ holder: 'mic-0', held: true });
  });

  test('-o json is stable (same document twice, documented key order) and -o yaml carries the same data', async () => {
    // Ages move, and so does an event's count while MIC keeps retrying the stuck assignment between the runs.
    const zeroAges = (text: string) =>
      text.replace(/"(ageSeconds|renewedSecondsAgo|lastSeenSecondsAgo|count)": \d+/g, '"$1": 0');
    const first = await explain('stuck');
    const second = await explain('stuck');
    expect(zeroAges(second.stdout)).toBe(zeroAges(first.stdout));
    expect(Object.keys(first.json)).toEqual([
      'kind',
      'schemaVersion',
      'pod',
      'namespacedMode',
      'verdict',
      'podReasons',
      'bindings',
      'nearestSelectors',
      'assignedIdentities',
      'micLeader',
      'nmiDefault',
    ]);
    expect(first.json).toMatchObject({ kind: 'PodIdentityExplanation', schemaVersion: 1 });
    const yaml = await plugin.run(['explain', 'pod', 'stuck', '-o', 'yaml', '--kubeconfig', world.kube.kubeconfigPath]);
    expect(zeroAges(JSON.stringify(parseYaml(yaml.stdout), null, 2))).toBe(zeroAges(first.stdout.trimEnd()));
  });

  test('-A finds the pod in any namespace; KUBECONFIG is read as kubectl reads it', async () => {
    const run = await plugin.json<Json>(['explain', 'pod', 'healthy', '-A'], { KUBECONFIG: world.kube.kubeconfigPath });
    expect(run.code).toBe(0);
    expect(run.json.pod).toMatchObject({ namespace: 'default', name: 'healthy' });
  });
});

describe('kubectl podid explain --namespaced (MIC with --forceNamespaced)', () => {
  let namespacedWorld: MicWorld;
  beforeAll(async () => {
    namespacedWorld = await MicWorld.start();
    const [nodeName] = await namespacedWorld.scaleSet('pool-n', 1);
    await namespacedWorld.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-b' },
    });
    await namespacedWorld.createIdentityAndBinding('plain-id', 'plain', 'team-b');
    await namespacedWorld.request('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'outsider', labels: { aadpodidbinding: 'plain' } },
      spec: { nodeName, containers: [{ name: 'app', image: 'app' }] },
    });
    const mic = namespacedWorld.startMic(['--forceNamespaced', '--clientQps=100']);
    await mic.waitForLine(/sync loop started/);
  }, 60_000);
  afterAll(async () => {
    await namespacedWorld?.close();
  });

  test('an identity in another namespace, refused because of namespaced mode (the flag, not an annotation)', async () => {
    const args = ['explain', 'pod', 'outsider', '--namespaced', '--kubeconfig', namespacedWorld.kube.kubeconfigPath];
    const { code, json } = await plugin.json<Json>(args);
    expect(code).toBe(1);
    expect(json.namespacedMode).toBe(true);
    expect(json.bindings).toEqual([
      expect.objectContaining({
        code: 'cross_namespace',
        namespacedBy: 'flag',
        binding: { namespace: 'team-b', name: 'plain-id-binding' },
      }),
    ]);
    // MIC, run the same way, agrees: it made no assignment.
    expect(await namespacedWorld.assignedIdentities()).toEqual([]);
    // Without --namespaced the same pod would match: the flag is what decides.
    const loose = await plugin.json<Json>(args.filter((a) => a !== '--namespaced'));
    expect(loose.json.bindings[0]).toMatchObject({ code: 'matched' });
  });
});

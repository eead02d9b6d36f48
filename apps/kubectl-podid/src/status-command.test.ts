/**
 * `kubectl podid status` through the real kubectl against a kube-emulator cluster built with known numbers: the
 * counts, the lists and the stuck assignments must come out exactly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { startForbiddingProxy } from './test-support/forbidding-proxy.js';
import { KubectlPlugin } from './test-support/kubectl-plugin.js';

// biome-ignore lint/suspicious/noExplicitAny: the plugin's JSON output, read loosely by assertions
type Json = Record<string, any>;
const GROUP = '/apis/aadpodidentity.k8s.io/v1';
const TEN_MINUTES_MS = 600_000;

let kube: KubeEmulator;
let plugin: KubectlPlugin;
let dir: string;
/** The emulator's clock runs this far behind: objects created meanwhile look that much older. */
let clockOffsetMs = 0;

async function request(method: string, apiPath: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${kube.url}${apiPath}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${kube.kubeconfig.users[0]?.user.token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${apiPath} -> ${response.status}: ${text}`);
  return JSON.parse(text) as Json;
}

/** Creates the object with a status: sent along when the kind has no status subresource, else written after. */
async function withStatus(collection: string, body: Json, status: Json): Promise<void> {
  const created = await request('POST', collection, { ...body, status });
  if (JSON.stringify(created.status) !== JSON.stringify(status)) {
    await request('PUT', `${collection}/${created.metadata.name}/status`, { ...created, status });
  }
}

const identity = (namespace: string, name: string) =>
  request('POST', `${GROUP}/namespaces/${namespace}/azureidentities`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace },
    spec: {
      type: 0,
      resourceID: `/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
      clientID: `client-${name}`,
    },
  });
const binding = (namespace: string, name: string, azureIdentity: string, selector: string) =>
  request('POST', `${GROUP}/namespaces/${namespace}/azureidentitybindings`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentityBinding',
    metadata: { name, namespace },
    spec: { azureIdentity, selector },
  });
const pod = (namespace: string, name: string, labels: Record<string, string>, nodeName: string | null = 'node-1') =>
  request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { ...(nodeName === null ? {} : { nodeName }), containers: [{ name: 'c', image: 'i' }] },
  });
const assigned = (name: string, podName: string, podNamespace: string, state: string) =>
  withStatus(
    `${GROUP}/namespaces/default/azureassignedidentities`,
    {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureAssignedIdentity',
      metadata: { name, namespace: 'default' },
      spec: {
        pod: podName,
        podNamespace,
        nodename: 'node-1',
        azureIdentityRef: { metadata: { name: 'id-a', namespace: 'default' }, spec: { clientID: 'client-id-a' } },
        azureBindingRef: {
          metadata: { name: 'bind-a', namespace: 'default' },
          spec: { azureIdentity: 'id-a', selector: 'a' },
        },
      },
    },
    { status: state, availableReplicas: 1 },
  );

beforeAll(async () => {
  plugin = KubectlPlugin.install();
  kube = await startKubeEmulator({ now: () => Date.now() - clockOffsetMs });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-podid-status-'));
  for (const crd of customResourceDefinitions)
    await request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  for (const name of ['node-1', 'node-2', 'node-3']) {
    await request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });
  }
  // 4 identities (1 without a binding), 4 bindings (1 naming no identity), 1 exception.
  await identity('default', 'id-a');
  await identity('default', 'id-b');
  await identity('default', 'id-orphan');
  await identity('team-a', 'id-t');
  await binding('default', 'bind-a', 'id-a', 'a');
  await binding('default', 'bind-b', 'id-b', 'b');
  await binding('default', 'bind-ghost', 'ghost', 'g');
  await binding('team-a', 'bind-t', 'id-t', 't');
  await request('POST', `${GROUP}/namespaces/default/azurepodidentityexceptions`, {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzurePodIdentityException',
    metadata: { name: 'exc' },
    spec: { podLabels: { role: 'system' } },
  });
  // 7 labelled pods, 3 matching nothing (no such selector, missing identity, not scheduled); 1 unlabelled pod.
  await pod('default', 'pa-1', { aadpodidbinding: 'a' });
  await pod('default', 'pa-2', { aadpodidbinding: 'a' });
  await pod('default', 'pb-1', { aadpodidbinding: 'b' });
  await pod('team-a', 'pt-1', { aadpodidbinding: 't' });
  await pod('default', 'pz', { aadpodidbinding: 'zzz' });
  await pod('default', 'pg', { aadpodidbinding: 'g' });
  await pod('default', 'pu', { aadpodidbinding: 'a' }, null);
  await pod('default', 'plain', { app: 'x' });
  // 6 assigned identities: one Created ten minutes ago, then 3 Assigned, 1 Created, 1 Unassigned now.
  clockOffsetMs = TEN_MINUTES_MS;
  await assigned('old-created', 'pa-1', 'default', 'Created');
  clockOffsetMs = 0;
  await assigned('as-1', 'pa-2', 'default', 'Assigned');
  await assigned('as-2', 'pb-1', 'default', 'Assigned');
  await assigned('as-3', 'pt-1', 'team-a', 'Assigned');
  await assigned('new-created', 'pa-2', 'default', 'Created');
  await assigned('gone', 'pb-1', 'default', 'Unassigned');
  // MIC's Lease, renewed just now by mic-7 (a long duration: nothing renews it during the test).
  await request('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'aad-pod-identity-mic' },
    spec: {
      holderIdentity: 'mic-7',
      leaseDurationSeconds: 3600,
      renewTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
    },
  });
  // NMI: a DaemonSet, a Ready pod on node-1, a pod that is not Ready on node-2, nothing on node-3.
  const nmiLabels = { 'app.kubernetes.io/name': 'podid', 'app.kubernetes.io/component': 'nmi' };
  await request('POST', '/apis/apps/v1/namespaces/kube-system/daemonsets', {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'podid-nmi', labels: nmiLabels },
    spec: {
      selector: { matchLabels: nmiLabels },
      template: { metadata: { labels: nmiLabels }, spec: { containers: [{ name: 'nmi', image: 'nmi' }] } },
    },
  });
  for (const [name, nodeName, ready] of [
    ['podid-nmi-aaaaa', 'node-1', 'True'],
    ['podid-nmi-bbbbb', 'node-2', 'False'],
  ] as const) {
    await withStatus(
      '/api/v1/namespaces/kube-system/pods',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: nmiLabels },
        spec: { nodeName, containers: [{ name: 'nmi', image: 'nmi' }] },
      },
      { phase: 'Running', conditions: [{ type: 'Ready', status: ready }] },
    );
  }
});

afterAll(async () => {
  await kube.close();
  plugin.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

const status = (...args: string[]) => plugin.json<Json>(['status', ...args, '--kubeconfig', kube.kubeconfigPath]);

describe('kubectl podid status (through kubectl)', () => {
  test('counts, orphans, unmatched pods, stuck assignments, the MIC leader and NMI per node', async () => {
    const { code, json } = await status();
    expect(code).toBe(0);
    expect(json.counts).toEqual({
      identities: 4,
      bindings: 4,
      exceptions: 1,
      labelledPods: 7,
      assignedIdentities: { total: 6, Created: 2, Assigned: 3, Unassigned: 1, other: 0 },
    });
    expect(json.identitiesWithoutBinding).toEqual([{ namespace: 'default', name: 'id-orphan' }]);
    expect(json.bindingsWithoutIdentity).toEqual([{ namespace: 'default', name: 'bind-ghost', identity: 'ghost' }]);
    expect(json.unmatchedPods.map((p: Json) => [p.name, p.label, p.reasons.map((r: Json) => r.code)])).toEqual([
      ['pg', 'g', ['identity_not_found']],
      ['pu', 'a', ['pod_no_node']],
      ['pz', 'zzz', ['pod_no_matching_binding']],
    ]);
    expect(json.stuckAfterSeconds).toBe(120);
    expect(json.stuckAssignments).toEqual([
      expect.objectContaining({
        namespace: 'default',
        name: 'old-created',
        pod: { namespace: 'default', name: 'pa-1' },
      }),
    ]);
    expect(json.stuckAssignments[0].ageSeconds).toBeGreaterThanOrEqual(600);
    expect(json.micLeader).toMatchObject({ found: true, holder: 'mic-7', held: true, leaseDurationSeconds: 3600 });
    expect(json.nmi).toMatchObject({
      readable: true,
      daemonSets: [expect.objectContaining({ namespace: 'kube-system', name: 'podid-nmi' })],
      nodesWithoutNmi: ['node-3'],
    });
    expect(json.nmi.nodes.map((n: Json) => [n.nodeName, n.ready, n.pods.map((p: Json) => p.name)])).toEqual([
      ['node-1', true, ['podid-nmi-aaaaa']],
      ['node-2', false, ['podid-nmi-bbbbb']],
    ]);
  });

  test('--stuck-after moves the threshold; -n scopes every list to one namespace', async () => {
    expect((await status('--stuck-after', '1h')).json.stuckAssignments).toEqual([]);
    expect((await status('--stuck-after', '0s')).json.stuckAssignments.map((s: Json) => s.name)).toEqual([
      'old-created',
      'new-created',
    ]);
    const scoped = (await status('-n', 'team-a')).json;
    expect(scoped.namespace).toBe('team-a');
    expect(scoped.counts).toEqual({
      identities: 1,
      bindings: 1,
      exceptions: 0,
      labelledPods: 1,
      assignedIdentities: { total: 1, Created: 0, Assigned: 1, Unassigned: 0, other: 0 },
    });
    expect(scoped.unmatchedPods).toEqual([]);
  });

  test('the table names every section and number', async () => {
    const run = await plugin.run(['status', '--kubeconfig', kube.kubeconfigPath]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/AssignedIdentities:\s+6 \(Created 2, Assigned 3, Unassigned 1, other 0\)/);
    expect(run.stdout).toMatch(/MIC leader:\s+mic-7 \(Lease default\/aad-pod-identity-mic, renewed \d+s ago\)/);
    expect(run.stdout).toMatch(/Identities without a binding:\n\s+IDENTITY\n\s+default\/id-orphan/);
    expect(run.stdout).toMatch(/node-3\s+no\s+<no NMI pod>/);
  });

  test('DaemonSets that cannot be read leave NMI unreported, not the whole status', async () => {
    const proxy = await startForbiddingProxy({ upstream: kube.url, plural: 'daemonsets', group: 'apps' });
    try {
      const kubeconfig = path.join(dir, 'proxy-kubeconfig');
      fs.writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: proxy.url } }],
          users: [{ name: 'u', user: { token: kube.kubeconfig.users[0]?.user.token } }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      const { code, json } = await plugin.json<Json>(['status'], { KUBECONFIG: kubeconfig });
      expect(code).toBe(0);
      expect(json.counts.identities).toBe(4);
      expect(json.nmi).toEqual({
        readable: false,
        error: expect.stringMatching(/cannot list daemonsets.apps \(forbidden\): HTTP 403/),
      });
    } finally {
      await proxy.close();
    }
  });
});

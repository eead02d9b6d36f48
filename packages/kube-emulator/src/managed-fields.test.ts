/**
 * Server-side apply field ownership: managedFields stored in FieldsV1, conflicts between managers answered with
 * the real 409, `--force-conflicts` taking fields over, updaters owning what they change.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { widgetCrd } from './test-support/crd-fixtures.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';
import { allFieldsV1, fieldValues, fromFieldsV1, printPath, toFieldsV1 } from './managed-fields.js';
import { builtinResourceTypes } from './resource-types.js';

if (!kubectlFound) console.log('SKIP kube-emulator managed-fields kubectl tests: kubectl not found on PATH');
const describeWithKubectl = kubectlFound ? describe : describe.skip;

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;
let kubectl: KubectlRunner;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  const kc = kubeConfigFor(emulator);
  core = kc.makeApiClient(k8s.CoreV1Api);
  kubectl = new KubectlRunner(emulator);
  await kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: structuredClone(widgetCrd) as k8s.V1CustomResourceDefinition });
  await core.createNamespace({ body: { metadata: { name: 'ssa' } } });
});
afterAll(async () => {
  await emulator?.close();
  kubectl?.cleanup();
});

const pods = builtinResourceTypes().find((t) => t.plural === 'pods')!;

describe('field sets', () => {
  test('keyed lists become k: elements, sets v: members, FieldsV1 round-trips', () => {
    const values = fieldValues(
      pods,
      {
        metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
        spec: { containers: [{ name: 'app', image: 'i', args: ['1', '2'] }] },
        status: { phase: 'Pending' },
      },
      undefined,
    );
    const paths = [...values.keys()];
    const fields = toFieldsV1(paths);
    expect(fields).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"x"': {} }, 'f:labels': { 'f:a': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } },
      },
    });
    expect([...fromFieldsV1(fields)].sort()).toEqual(paths.sort());
    // The direct builder used on create gives the same FieldsV1, key order included.
    const pod = {
      metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'], ownerReferences: [] },
      spec: { containers: [{ name: 'b' }, { name: 'app', image: 'i', env: [{ name: 'E', value: 'v' }] }], volumes: [] },
      status: { phase: 'Pending' },
    };
    const direct = allFieldsV1(pods, pod, undefined);
    expect(JSON.stringify(direct)).toBe(JSON.stringify(toFieldsV1(fieldValues(pods, pod, undefined).keys())));
    expect(printPath('f:spec\nf:containers\nk:{"name":"app"}\nf:image')).toBe('.spec.containers[name="app"].image');
    expect(printPath('f:metadata\nf:finalizers\nv:"x"')).toBe('.metadata.finalizers[="x"]');
  });
});

async function managedFieldsOf(name: string): Promise<k8s.V1ManagedFieldsEntry[]> {
  return (await core.readNamespacedConfigMap({ namespace: 'ssa', name })).metadata?.managedFields ?? [];
}

const configMapYaml = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ssa\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n')}\n`;

async function applyRaw(name: string, manager: string, data: Record<string, string>, force = false) {
  const query = `fieldManager=${manager}${force ? '&force=true' : ''}`;
  const res = await fetch(`${emulator.url}/api/v1/namespaces/ssa/configmaps/${name}?${query}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/apply-patch+yaml' },
    body: configMapYaml(name, data),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('over the API', () => {
  test('create records an Update entry for the creator', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'ssa',
      fieldManager: 'creator',
      body: { metadata: { name: 'created', labels: { l: 'v' } }, data: { a: '1' } },
    });
    const [entry, ...rest] = await managedFieldsOf('created');
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      manager: 'creator',
      operation: 'Update',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:l': {} } } },
    });
    expect(entry?.time).toBeDefined();
  });

  test('a second apply manager changing an owned field gets the real 409; force takes it over', async () => {
    expect((await applyRaw('shared', 'first', { k: 'one', only: 'first' })).status).toBe(201);
    const refused = await applyRaw('shared', 'second', { k: 'two' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "first": .data.k',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.k' }] },
      code: 409,
    });
    // Applying the same value is no conflict: both own it.
    expect((await applyRaw('shared', 'second', { k: 'one' })).status).toBe(200);
    let entries = await managedFieldsOf('shared');
    expect(entries.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      ['first', 'Apply', { 'f:data': { 'f:k': {}, 'f:only': {} } }],
      ['second', 'Apply', { 'f:data': { 'f:k': {} } }],
    ]);
    const forced = await applyRaw('shared', 'third', { k: 'three' }, true);
    expect(forced.status).toBe(200);
    entries = await managedFieldsOf('shared');
    expect(entries.map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['first', { 'f:data': { 'f:only': {} } }],
      ['third', { 'f:data': { 'f:k': {} } }],
    ]);
    expect((await core.readNamespacedConfigMap({ namespace: 'ssa', name: 'shared' })).data).toEqual({
      k: 'three',
      only: 'first',
    });
  });

  test('an update takes the fields it changes; a later apply conflicts with the updater', async () => {
    await applyRaw('updated', 'applier', { k: 'a' });
    await core.patchNamespacedConfigMap(
      { namespace: 'ssa', name: 'updated', fieldManager: 'editor', body: { data: { k: 'b' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const entries = await managedFieldsOf('updated');
    expect(entries.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      ['editor', 'Update', { 'f:data': { 'f:k': {} } }],
    ]);
    const refused = await applyRaw('updated', 'applier', { k: 'c' });
    expect(refused.status).toBe(409);
    expect(refused.body['message']).toBe(
      `Apply failed with 1 conflict: conflict with "editor" using v1 at ${entries[0]?.time?.toISOString().replace('.000Z', 'Z')}: .data.k`,
    );
  });

  test('a field the applier stops applying is removed unless another manager owns it', async () => {
    await applyRaw('pruned', 'owner', { keep: '1', drop: '2' });
    await applyRaw('pruned', 'owner', { keep: '1' });
    expect((await core.readNamespacedConfigMap({ namespace: 'ssa', name: 'pruned' })).data).toEqual({ keep: '1' });
  });

  test('apply without fieldManager is refused as on the real server', async () => {
    const res = await fetch(`${emulator.url}/api/v1/namespaces/ssa/configmaps/nomanager`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: configMapYaml('nomanager', { a: '1' }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });
});

describeWithKubectl('kubectl apply --server-side', () => {
  test('conflicts between field managers, then --force-conflicts', async () => {
    const widget = (size: number) =>
      kubectl.writeFile(
        `w-${size}.yaml`,
        `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: ssa\nspec:\n  size: ${size}\n`,
      );
    const first = await kubectl.run('apply', '--server-side', '-f', widget(1));
    expect(first).toMatchObject({ code: 0, stdout: 'widget.example.com/w serverside-applied\n' });
    const second = await kubectl.run('apply', '--server-side', '--field-manager=ci', '-f', widget(2));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.size');
    const forced = await kubectl.run(
      'apply',
      '--server-side',
      '--field-manager=ci',
      '--force-conflicts',
      '-f',
      widget(2),
    );
    expect(forced.code).toBe(0);
    const got = JSON.parse(
      (await kubectl.run('get', 'widget', 'w', '-n', 'ssa', '-o', 'json', '--show-managed-fields')).stdout,
    );
    expect(got.spec.size).toBe(2);
    expect(got.metadata.managedFields.map((e: k8s.V1ManagedFieldsEntry) => [e.manager, e.operation])).toEqual([
      ['ci', 'Apply'],
    ]);
    expect(got.metadata.managedFields[0].fieldsV1).toEqual({ 'f:spec': { 'f:size': {} } });
  });
});

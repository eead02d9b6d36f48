/**
 * Custom resources are pruned, defaulted and validated against their CRD's structural schema, with the real
 * server's error shapes: 422 Invalid with details.causes, 400 for unknown fields under fieldValidation=Strict.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';

if (!kubectlFound) console.log('SKIP kube-emulator schema kubectl tests: kubectl not found on PATH');
const testWithKubectl = kubectlFound ? test : test.skip;

let emulator: KubeEmulator;
let custom: k8s.CustomObjectsApi;
let kubectl: KubectlRunner;

const gadgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['mode', 'replicas'],
                properties: {
                  mode: { type: 'string', enum: ['fast', 'slow'] },
                  replicas: { type: 'integer', minimum: 1, maximum: 10 },
                  note: { type: 'string', nullable: true },
                  level: { type: 'integer', default: 3 },
                  tags: { type: 'array', items: { type: 'string' } },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  ref: {
                    type: 'object',
                    'x-kubernetes-embedded-resource': true,
                    properties: { metadata: { type: 'object' }, spec: { type: 'object' } },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  emulator = await startKubeEmulator();
  custom = kubeConfigFor(emulator).makeApiClient(k8s.CustomObjectsApi);
  kubectl = new KubectlRunner(emulator);
  // Raw JSON: client-node's typed serializer would drop x-kubernetes-* keys.
  const res = await fetch(`${emulator.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(gadgetCrd),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await emulator?.close();
  kubectl?.cleanup();
});

async function createGadget(spec: unknown, query = '') {
  const res = await fetch(`${emulator.url}/apis/example.com/v1/namespaces/default/gadgets${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: Status and object bodies are read field by field.
  return { status: res.status, body: (await res.json()) as any, warnings: res.headers.get('warning') };
}

describe('validation', () => {
  test('type, enum, required and bounds errors: 422 with one cause each, in the real messages', async () => {
    const { status, body } = await createGadget({ mode: 'medium', replicas: 'two', tags: ['a', 1] });
    expect(status).toBe(422);
    expect(body.reason).toBe('Invalid');
    expect(body.details).toMatchObject({ name: 'g', group: 'example.com', kind: 'Gadget' });
    expect(body.details.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "medium": supported values: "fast", "slow"',
        field: 'spec.mode',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        field: 'spec.replicas',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
        field: 'spec.tags[1]',
      },
    ]);
    expect(body.message).toBe(
      'Gadget.example.com "g" is invalid: [spec.mode: Unsupported value: "medium": supported values: "fast", "slow", spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string", spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"]',
    );
    const missing = await createGadget({ mode: 'fast' });
    expect(missing.body.details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.replicas' },
    ]);
    const tooMany = await createGadget({ mode: 'fast', replicas: 11 });
    expect(tooMany.body.message).toBe(
      'Gadget.example.com "g" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    );
  });

  test('unknown fields are pruned with a warning, kept under preserve-unknown-fields; defaults and nulls', async () => {
    const { status, body, warnings } = await createGadget({
      mode: 'fast',
      replicas: 2,
      bogus: true,
      note: null,
      tags: null,
      extra: { anything: { goes: 1 } },
      labels: { a: 'b' },
      ref: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', uid: 'u' }, spec: { x: 1 } },
    });
    expect(status).toBe(201);
    expect(body.spec).toEqual({
      mode: 'fast',
      replicas: 2,
      note: null,
      level: 3,
      extra: { anything: { goes: 1 } },
      labels: { a: 'b' },
      ref: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', uid: 'u' }, spec: {} },
    });
    expect(warnings).toBe('299 - "unknown field \\"spec.bogus\\"", 299 - "unknown field \\"spec.ref.spec.x\\""');
    const stored = await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'gadgets',
      name: 'g',
    });
    expect(stored.spec.bogus).toBeUndefined();
  });

  test('fieldValidation=Strict refuses unknown fields with the strict decoding error', async () => {
    const { status, body } = await createGadget({ mode: 'fast', replicas: 2, bogus: 1 }, '?fieldValidation=Strict');
    expect(status).toBe(400);
    expect(body.message).toBe(
      'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.bogus"',
    );
  });

  test('updates and patches are validated too', async () => {
    await expect(
      custom.patchNamespacedCustomObject(
        {
          group: 'example.com',
          version: 'v1',
          namespace: 'default',
          plural: 'gadgets',
          name: 'g',
          body: { spec: { mode: 'warp' } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({ code: 422 });
  });

  testWithKubectl('kubectl apply reports the server error', async () => {
    const file = kubectl.writeFile(
      'gadget.yaml',
      'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: k\n  namespace: default\nspec:\n  mode: medium\n  replicas: 1\n',
    );
    const run = await kubectl.run('apply', '-f', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'The Gadget "k" is invalid: spec.mode: Unsupported value: "medium": supported values: "fast", "slow"',
    );
    const strict = kubectl.writeFile(
      'gadget2.yaml',
      'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: k\n  namespace: default\nspec:\n  mode: fast\n  replicas: 1\n  bogus: 1\n',
    );
    const refused = await kubectl.run('apply', '-f', strict);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('strict decoding error: unknown field "spec.bogus"');
  });
});

/** `kubectl explain` reads the OpenAPI v3 schemas: built-in kinds and custom resources from their CRD schema. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';

if (!kubectlFound) console.log('SKIP kube-emulator kubectl explain tests: kubectl not found on PATH');
const describeWithKubectl = kubectlFound ? describe : describe.skip;

const crdDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/crds');

let emulator: KubeEmulator;
let kubectl: KubectlRunner;

beforeAll(async () => {
  emulator = await startKubeEmulator();
  kubectl = new KubectlRunner(emulator);
});
afterAll(async () => {
  await emulator?.close();
  kubectl?.cleanup();
});

describe('/openapi/v3/<group-version>', () => {
  test('components.schemas holds every served kind with its group-version-kind', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the document is read field by field.
    const doc = (await (await fetch(`${emulator.url}/openapi/v3/api/v1`)).json()) as any;
    const kinds = Object.values(doc.components.schemas)
      .flatMap(
        (s) =>
          (s as { 'x-kubernetes-group-version-kind'?: { kind: string }[] })['x-kubernetes-group-version-kind'] ?? [],
      )
      .map((g) => g.kind)
      .sort();
    expect(kinds).toEqual(['ConfigMap', 'Event', 'Namespace', 'Node', 'Pod', 'Secret', 'ServiceAccount']);
    const pod = doc.components.schemas['io.k8s.api.v1.Pod'];
    expect(pod.properties.spec).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.v1.PodSpec' }] });
    expect(pod.properties.apiVersion.description).toContain('APIVersion defines the versioned schema');
    const podSpec = doc.components.schemas['io.k8s.api.v1.PodSpec'];
    expect(podSpec.required).toEqual(['containers']);
    expect(podSpec.properties.containers).toMatchObject({
      type: 'array',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
  });
});

describeWithKubectl('kubectl explain', () => {
  test('built-in kinds and nested fields', async () => {
    const pods = await kubectl.run('explain', 'pods.spec');
    expect(pods.stderr).toBe('');
    expect(pods.stdout).toContain('KIND:       Pod');
    expect(pods.stdout).toContain('FIELD: spec <PodSpec>');
    expect(pods.stdout).toMatch(/containers\s+<\[\]Container> -required-/);
    expect(pods.stdout).toContain('nodeName\t<string>');
    const image = await kubectl.run('explain', 'pods.spec.containers.image');
    expect(image.stdout).toContain('FIELD: image <string>');
    expect(image.stdout).toContain('Container image name.');
    const cm = await kubectl.run('explain', 'configmap');
    expect(cm.stdout).toContain('KIND:       ConfigMap');
    expect(cm.stdout).toMatch(/data\s+<map\[string\]string>/);
  });

  test("custom resources from their CRD's schema", async () => {
    const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect((await kubectl.run('apply', ...files.flatMap((f) => ['-f', join(crdDir, f)]))).code).toBe(0);
    const run = await kubectl.run('explain', 'azureidentities');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('GROUP:      aadpodidentity.k8s.io');
    expect(run.stdout).toContain('KIND:       AzureIdentity');
    expect(run.stdout).toMatch(/metadata\s+<ObjectMeta>/);
    const spec = await kubectl.run('explain', 'azureidentities.spec.resourceID');
    expect(spec.stdout).toContain('FIELD: resourceID <string>');
    expect(spec.stdout).toContain('ARM resource ID of the user-assigned identity');
  });
});

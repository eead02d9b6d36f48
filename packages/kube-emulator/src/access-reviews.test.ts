/** SelfSubjectAccessReview and friends, so `kubectl auth can-i` and `kubectl auth whoami` answer. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';
import { KubectlRunner, kubectlFound } from './test-support/kubectl-runner.js';

if (!kubectlFound) console.log('SKIP kube-emulator kubectl auth tests: kubectl not found on PATH');
const testWithKubectl = kubectlFound ? test : test.skip;

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

describe('access reviews', () => {
  test('a SelfSubjectAccessReview is answered allowed, echoing the spec, and nothing is stored', async () => {
    const authz = kubeConfigFor(emulator).makeApiClient(k8s.AuthorizationV1Api);
    const rv = emulator.admin.resourceVersion;
    const review = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'delete', resource: 'pods', namespace: 'default' } } },
    });
    expect(review.status?.allowed).toBe(true);
    expect(review.status?.reason).toContain('does not enforce authorization');
    expect(review.spec.resourceAttributes).toEqual({ verb: 'delete', resource: 'pods', namespace: 'default' });
    expect(emulator.admin.resourceVersion).toBe(rv);
  });

  test('a review naming neither resource nor URL is 422; reviews cannot be read back', async () => {
    const res = await fetch(`${emulator.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: {} }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const get = await fetch(`${emulator.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`);
    expect(get.status).toBe(405);
    // biome-ignore lint/suspicious/noExplicitAny: discovery read field by field.
    const discovery = (await (await fetch(`${emulator.url}/apis/authorization.k8s.io/v1`)).json()) as any;
    expect(discovery.resources).toContainEqual(
      expect.objectContaining({ name: 'selfsubjectaccessreviews', verbs: ['create'], namespaced: false }),
    );
  });

  testWithKubectl('kubectl auth can-i, can-i --list and whoami', async () => {
    expect(await kubectl.run('auth', 'can-i', 'create', 'pods')).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(
      await kubectl.run('auth', 'can-i', 'delete', 'azureidentities.aadpodidentity.k8s.io', '-n', 'x'),
    ).toMatchObject({
      stdout: 'yes\n',
    });
    const list = await kubectl.run('auth', 'can-i', '--list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    const whoami = await kubectl.run('auth', 'whoami');
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/Username\s+kube-emulator-admin/);
    expect(whoami.stdout).toContain('system:masters');
  });
});

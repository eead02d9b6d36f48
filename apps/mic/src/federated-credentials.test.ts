import { describe, expect, test } from '@jest/globals';
import type { AzureIdentity, Pod } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import type { FederatedCredential } from '@podid/reconciler';
import { type FederatedCredentialArm, FederatedCredentialManager } from './federated-credentials.js';
import type { InputProblem } from './input-problems.js';

const ISSUER = 'https://oidc.example/c1';
const RID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app';
const identity = {
  apiVersion: 'aadpodidentity.k8s.io/v1',
  kind: 'AzureIdentity',
  metadata: { name: 'fed', namespace: 'default' },
  spec: { type: 3, clientID: '00000000-0000-0000-0000-000000000001', tenantID: 't', resourceID: RID },
} as AzureIdentity;

function input(pods: { name: string; sa?: string }[]) {
  return {
    identities: [identity],
    pods: pods.map(
      (p) =>
        ({
          metadata: { name: p.name, namespace: 'apps' },
          spec: { nodeName: 'n', ...(p.sa ? { serviceAccountName: p.sa } : {}) },
        }) as Pod,
    ),
    assignments: pods.map((p) => ({ identity, podName: p.name, podNamespace: 'apps' }) as DesiredAssignment),
  };
}

class FakeArm implements FederatedCredentialArm {
  readonly stored: FederatedCredential[] = [];
  readonly calls: string[] = [];
  failCreates = 0;
  async list() {
    this.calls.push('list');
    return [...this.stored];
  }
  async create(_id: string, credential: FederatedCredential) {
    this.calls.push(`create ${credential.subject}`);
    if (this.failCreates > 0) {
      this.failCreates--;
      throw Object.assign(new Error('ARM said no'), { code: 'arm_request_failed' });
    }
    this.stored.push(credential);
  }
  async delete(_id: string, name: string) {
    this.calls.push(`delete ${name}`);
    this.stored.splice(
      this.stored.findIndex((c) => c.name === name),
      1,
    );
  }
}

function manager(arm: FakeArm) {
  const problems: InputProblem[] = [];
  const logs: string[] = [];
  const m = new FederatedCredentialManager({
    arm,
    issuerUrl: ISSUER,
    problems: { report: (p) => problems.push(...p) },
    log: (_level, message) => logs.push(message),
    retryInitialMs: 10,
  });
  return { m, problems, logs };
}

describe('FederatedCredentialManager', () => {
  test('an unchanged desired set calls ARM once; a change applies; defaults to the default service account', async () => {
    const arm = new FakeArm();
    const { m } = manager(arm);
    m.sync(input([{ name: 'a', sa: 'worker' }]));
    await m.idle();
    m.sync(
      input([
        { name: 'a', sa: 'worker' },
        { name: 'b', sa: 'worker' },
      ]),
    );
    await m.idle();
    expect(arm.calls).toEqual(['list', 'create system:serviceaccount:apps:worker']);
    m.sync(input([{ name: 'c' }]));
    await m.idle();
    expect(arm.stored.map((c) => c.subject)).toEqual(['system:serviceaccount:apps:default']);
    await m.stop();
  });

  test('a failed write is retried by itself (no cycle needed) until it succeeds', async () => {
    const arm = new FakeArm();
    arm.failCreates = 2;
    const { m, logs } = manager(arm);
    m.sync(input([{ name: 'a', sa: 'worker' }]));
    for (let i = 0; i < 500 && arm.stored.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await m.idle();
    expect(arm.stored.map((c) => c.subject)).toEqual(['system:serviceaccount:apps:worker']);
    expect(logs.filter((l) => l === 'cannot create federated credential')).toHaveLength(2);
    await m.stop();
  });

  test('an identity Azure does not have is told once per desired set, not retried', async () => {
    const arm = new FakeArm();
    arm.list = async () => {
      arm.calls.push('list');
      throw Object.assign(new Error('not found'), { code: 'identity_not_found' });
    };
    const { m, logs } = manager(arm);
    m.sync(input([{ name: 'a', sa: 'one' }]));
    await m.idle();
    await new Promise((r) => setTimeout(r, 50)); // five retry intervals
    m.sync(input([{ name: 'a', sa: 'one' }]));
    await m.idle();
    expect(arm.calls).toEqual(['list']);
    expect(logs).toEqual(['cannot list federated credentials']);
    await m.stop();
  });

  test('input arriving during a run is applied after it, latest wins', async () => {
    const arm = new FakeArm();
    const { m } = manager(arm);
    m.sync(input([{ name: 'a', sa: 'one' }]));
    m.sync(input([{ name: 'a', sa: 'two' }]));
    m.sync(input([{ name: 'a', sa: 'three' }]));
    await m.idle();
    expect(arm.stored.map((c) => c.subject)).toEqual(['system:serviceaccount:apps:three']);
    await m.stop();
  });

  test('overflow is reported once per desired set', async () => {
    const arm = new FakeArm();
    for (let i = 0; i < 20; i++) arm.stored.push({ name: `h${i}`, issuer: ISSUER, subject: `s${i}`, audiences: [] });
    const { m, problems } = manager(arm);
    m.sync(input([{ name: 'a', sa: 'one' }]));
    await m.idle();
    m.sync(input([{ name: 'a', sa: 'one' }]));
    await m.idle();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      reason: 'FederatedCredentialLimitReached',
      subject: { kind: 'AzureIdentity', namespace: 'default', name: 'fed' },
    });
    expect(arm.calls.filter((c) => c.startsWith('create'))).toEqual([]);
    await m.stop();
  });
});

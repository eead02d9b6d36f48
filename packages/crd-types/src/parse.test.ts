import { describe, expect, test } from '@jest/globals';
import {
  parseAzureAssignedIdentity,
  parseAzureIdentity,
  parseAzureIdentityBinding,
  parseAzurePodIdentityException,
  parseEach,
  parseNode,
  parsePod,
} from './index.js';

const identity = {
  apiVersion: 'aadpodidentity.k8s.io/v1',
  kind: 'AzureIdentity',
  metadata: { name: 'id1', namespace: 'default', resourceVersion: '7', annotations: { x: 'y' } },
  spec: {
    metadata: { creationTimestamp: null },
    type: 0,
    resourceID: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1',
    clientID: '00000000-0000-0000-0000-000000000001',
    clientPassword: {},
    auxiliaryTenantIDs: null,
    replicas: null,
    somethingNew: { kept: true },
  },
  status: { metadata: {}, availableReplicas: 0 },
  extraTopLevel: 'kept',
};

describe('parseAzureIdentity', () => {
  test('accepts every §1.2 field and keeps unknown fields for round-tripping', () => {
    const result = parseAzureIdentity(identity);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual(identity);
    expect(result.value.spec.clientID).toBe('00000000-0000-0000-0000-000000000001');
  });

  test('absent spec reads as an empty spec (Go zero value)', () => {
    const result = parseAzureIdentity({ metadata: { name: 'a', namespace: 'n' } });
    expect(result.ok && result.value.spec).toEqual({});
  });

  test('names the object and the bad field instead of throwing', () => {
    const result = parseAzureIdentity({ ...identity, spec: { ...identity.spec, type: 'zero' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({
      code: 'invalid_field',
      kind: 'AzureIdentity',
      name: 'id1',
      namespace: 'default',
      path: 'spec.type',
    });
    expect(result.error.message).toContain('AzureIdentity default/id1');
    expect(result.error.message).toContain('spec.type');
  });

  test('rejects a non-object and an object of another kind with distinct codes', () => {
    const notObject = parseAzureIdentity('nope');
    expect(!notObject.ok && notObject.error.code).toBe('not_an_object');
    const nullObject = parseAzureIdentity(null);
    expect(!nullObject.ok && nullObject.error.code).toBe('not_an_object');
    const wrongKind = parseAzureIdentity({ ...identity, kind: 'AzureIdentityBinding' });
    expect(!wrongKind.ok && wrongKind.error).toMatchObject({ code: 'wrong_kind', path: 'kind', name: 'id1' });
  });

  test('missing metadata.name is reported with the path', () => {
    const result = parseAzureIdentity({ metadata: { namespace: 'ns' }, spec: {} });
    expect(!result.ok && result.error).toMatchObject({ path: 'metadata.name', name: undefined, namespace: 'ns' });
    expect(!result.ok && result.error.message).toContain('AzureIdentity <unnamed>');
  });

  test('decodes legacy capitalised fields (§1.7)', () => {
    const result = parseAzureIdentity({
      metadata: { name: 'old', namespace: 'default' },
      spec: { type: 0, ClientID: 'c', ResourceID: 'r', TenantID: 't', ClientPassword: { Name: 's', Namespace: 'n' } },
    });
    expect(result.ok && result.value.spec).toEqual({
      type: 0,
      clientID: 'c',
      resourceID: 'r',
      tenantID: 't',
      clientPassword: { name: 's', namespace: 'n' },
    });
  });
});

describe('parse other kinds', () => {
  test('binding with legacy casing and a non-integer weight', () => {
    const ok = parseAzureIdentityBinding({
      metadata: { name: 'b', namespace: 'ns' },
      spec: { AzureIdentity: 'id1', Selector: 'sel', weight: 3 },
    });
    expect(ok.ok && ok.value.spec).toEqual({ azureIdentity: 'id1', selector: 'sel', weight: 3 });
    const bad = parseAzureIdentityBinding({ metadata: { name: 'b', namespace: 'ns' }, spec: { weight: 1.5 } });
    expect(!bad.ok && bad.error.path).toBe('spec.weight');
  });

  test('assigned identity with embedded refs, lower-case nodename and status.status', () => {
    const assigned = {
      metadata: { name: 'p-ns-id1', namespace: 'default', labels: { nodename: 'node-1' } },
      spec: {
        azureIdentityRef: identity,
        azureBindingRef: { kind: 'AzureIdentityBinding', metadata: { name: 'b', namespace: 'default' }, spec: {} },
        pod: 'p',
        podNamespace: 'ns',
        nodename: 'node-1',
        replicas: null,
      },
      status: { availableReplicas: 1, status: 'Created' },
    };
    const result = parseAzureAssignedIdentity(assigned);
    expect(result.ok && result.value).toEqual(assigned);
    const badRef = parseAzureAssignedIdentity({
      ...assigned,
      spec: { ...assigned.spec, azureIdentityRef: { ...identity, spec: { clientID: 5 } } },
    });
    expect(!badRef.ok && badRef.error.path).toBe('spec.azureIdentityRef.spec.clientID');
  });

  test('legacy assigned identity: capital Status and legacy refs', () => {
    const result = parseAzureAssignedIdentity({
      metadata: { name: 'x', namespace: 'default' },
      spec: { AzureIdentityRef: { metadata: { name: 'i', namespace: 'default' }, Spec: { ClientID: 'c' } } },
      Status: { Status: 'Assigned' },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.status?.status).toBe('Assigned');
    expect(result.value.spec.azureIdentityRef?.spec.clientID).toBe('c');
  });

  test('exception podLabels keep their keys exactly', () => {
    const result = parseAzurePodIdentityException({
      metadata: { name: 'e', namespace: 'ns' },
      spec: { PodLabels: { App: 'Mic', component: 'x' } },
    });
    expect(result.ok && result.value.spec.podLabels).toEqual({ App: 'Mic', component: 'x' });
  });

  test('pod: the fields MIC and NMI read; Date timestamps from client-node accepted', () => {
    const pod = {
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '1',
        labels: { aadpodidbinding: 'sel' },
        annotations: {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'mic-1', uid: 'r', controller: true }],
        deletionTimestamp: new Date(0),
      },
      spec: { nodeName: 'n1', hostNetwork: false, containers: [{ name: 'c' }] },
      status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], phase: 'Running' },
    };
    expect(parsePod(pod)).toEqual({ ok: true, value: pod });
    const bad = parsePod({ ...pod, status: { podIPs: [{ address: 'x' }] } });
    expect(!bad.ok && bad.error.path).toBe('status.podIPs[0].ip');
    // Pod fields are never case-folded: the API server always uses its own spelling.
    const folded = parsePod({ metadata: { name: 'p', namespace: 'ns' }, Spec: { NodeName: 'n' } });
    expect(folded.ok && folded.value.spec).toBeUndefined();
  });

  test('node: cluster-scoped metadata and providerID', () => {
    const node = { metadata: { name: 'n1', labels: { a: 'b' } }, spec: { providerID: 'azure:///x' } };
    expect(parseNode(node)).toEqual({ ok: true, value: node });
    const bad = parseNode({ metadata: { name: 'n1' }, spec: { providerID: 1 } });
    expect(!bad.ok && bad.error).toMatchObject({
      kind: 'Node',
      name: 'n1',
      namespace: undefined,
      path: 'spec.providerID',
    });
  });

  test('parseEach keeps good objects and reports each bad one', () => {
    const { values, errors } = parseEach(
      [identity, { metadata: { name: 'bad', namespace: 'x' }, spec: { type: 'x' } }, 42],
      parseAzureIdentity,
    );
    expect(values.map((v) => v.metadata.name)).toEqual(['id1']);
    expect(errors.map((e) => e.code)).toEqual(['invalid_field', 'not_an_object']);
  });
});

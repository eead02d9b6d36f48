import { describe, expect, test } from '@jest/globals';
import type { AzureIdentity } from '@podid/crd-types';
import {
  desiredFederatedCredentials,
  type FederatedCredential,
  federatedCredentialName,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  planFederatedCredentials,
} from './federated-credential-plan.js';

const ISSUER = 'https://oidc.example/cluster-1';
const RID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app';

function identity(name: string, type: number, resourceID?: string, namespace = 'default'): AzureIdentity {
  return {
    apiVersion: 'aadpodidentity.k8s.io/v1',
    kind: 'AzureIdentity',
    metadata: { name, namespace },
    spec: {
      type,
      clientID: '00000000-0000-0000-0000-000000000001',
      tenantID: 't',
      ...(resourceID ? { resourceID } : {}),
    },
  } as AzureIdentity;
}

const fed = identity('fed', 3, RID);

function ours(subject: string, issuer = ISSUER): FederatedCredential {
  return { name: federatedCredentialName(issuer, subject), issuer, subject, audiences: ['api://AzureADTokenExchange'] };
}

function handMade(i: number): FederatedCredential {
  return { name: `hand-${i}`, issuer: ISSUER, subject: `system:serviceaccount:hand:sa-${i}`, audiences: ['x'] };
}

function plan(existing: FederatedCredential[], uses: { ns: string; sa: string }[], identities = [fed]) {
  const desired = desiredFederatedCredentials(
    identities,
    uses.map((u) => ({ identity: fed, podNamespace: u.ns, serviceAccountName: u.sa })),
    ISSUER,
  );
  return planFederatedCredentials({ desired, existing: new Map([[RID.toLowerCase(), existing]]), issuerUrl: ISSUER });
}

describe('federatedCredentialName', () => {
  test('deterministic, podid-prefixed, valid for Azure, different per issuer and subject', () => {
    const name = federatedCredentialName(ISSUER, 'system:serviceaccount:a:b');
    expect(name).toBe(federatedCredentialName(ISSUER, 'system:serviceaccount:a:b'));
    expect(name).toMatch(/^podid-[0-9a-f]{24}$/);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/);
    expect(federatedCredentialName(ISSUER, 'system:serviceaccount:a:c')).not.toBe(name);
    expect(federatedCredentialName(`${ISSUER}2`, 'system:serviceaccount:a:b')).not.toBe(name);
  });
});

describe('desiredFederatedCredentials', () => {
  test('one credential per (namespace, service account), only type 3 with a resourceID, deduplicated', () => {
    const noResource = identity('fed-bare', 3);
    const typeZero = identity('uami', 0, `${RID}-0`);
    const desired = desiredFederatedCredentials(
      [fed, noResource, typeZero],
      [
        { identity: fed, podNamespace: 'apps', serviceAccountName: 'worker' },
        { identity: fed, podNamespace: 'apps', serviceAccountName: 'worker' },
        { identity: fed, podNamespace: 'web', serviceAccountName: 'default' },
        { identity: noResource, podNamespace: 'apps', serviceAccountName: 'x' },
        { identity: typeZero, podNamespace: 'apps', serviceAccountName: 'y' },
      ],
      ISSUER,
    );
    expect([...desired.keys()]).toEqual([RID.toLowerCase()]);
    expect(desired.get(RID.toLowerCase())?.credentials).toEqual([
      ours('system:serviceaccount:apps:worker'),
      ours('system:serviceaccount:web:default'),
    ]);
    expect(desired.get(RID.toLowerCase())?.identities).toEqual([{ namespace: 'default', name: 'fed' }]);
  });

  test('an identity nobody uses still has an entry (so podid’s old credentials can be deleted)', () => {
    const desired = desiredFederatedCredentials([fed], [], ISSUER);
    expect(desired.get(RID.toLowerCase())?.credentials).toEqual([]);
  });
});

describe('planFederatedCredentials', () => {
  const cases: {
    name: string;
    existing: FederatedCredential[];
    uses: { ns: string; sa: string }[];
    creates: string[];
    deletes: string[];
    overflow: string[];
  }[] = [
    {
      name: 'first pod of a service account: create',
      existing: [],
      uses: [{ ns: 'apps', sa: 'worker' }],
      creates: ['system:serviceaccount:apps:worker'],
      deletes: [],
      overflow: [],
    },
    {
      name: 'already there: nothing',
      existing: [ours('system:serviceaccount:apps:worker')],
      uses: [{ ns: 'apps', sa: 'worker' }],
      creates: [],
      deletes: [],
      overflow: [],
    },
    {
      name: 'a hand-made credential for the same subject counts as present (Azure refuses a duplicate pair)',
      existing: [{ ...handMade(1), subject: 'system:serviceaccount:apps:worker' }],
      uses: [{ ns: 'apps', sa: 'worker' }],
      creates: [],
      deletes: [],
      overflow: [],
    },
    {
      name: 'last pod gone: delete podid’s credential only',
      existing: [ours('system:serviceaccount:apps:worker'), handMade(1)],
      uses: [],
      creates: [],
      deletes: ['system:serviceaccount:apps:worker'],
      overflow: [],
    },
    {
      name: 'a podid-named credential of another issuer is not ours: kept',
      existing: [ours('system:serviceaccount:apps:worker', 'https://other-cluster')],
      uses: [],
      creates: [],
      deletes: [],
      overflow: [],
    },
    {
      name: 'hand-made credentials are never deleted',
      existing: [handMade(1), handMade(2)],
      uses: [],
      creates: [],
      deletes: [],
      overflow: [],
    },
    {
      name: '19 hand-made + 2 wanted: one created, one overflow (by subject order)',
      existing: Array.from({ length: 19 }, (_, i) => handMade(i)),
      uses: [
        { ns: 'b', sa: 'two' },
        { ns: 'a', sa: 'one' },
      ],
      creates: ['system:serviceaccount:a:one'],
      deletes: [],
      overflow: ['system:serviceaccount:b:two'],
    },
    {
      name: 'at the limit, a delete makes room for a create',
      existing: [...Array.from({ length: 19 }, (_, i) => handMade(i)), ours('system:serviceaccount:old:sa')],
      uses: [{ ns: 'new', sa: 'sa' }],
      creates: ['system:serviceaccount:new:sa'],
      deletes: ['system:serviceaccount:old:sa'],
      overflow: [],
    },
    {
      name: 'full of hand-made: everything overflows',
      existing: Array.from({ length: MAX_FEDERATED_CREDENTIALS_PER_IDENTITY }, (_, i) => handMade(i)),
      uses: [{ ns: 'a', sa: 'one' }],
      creates: [],
      deletes: [],
      overflow: ['system:serviceaccount:a:one'],
    },
  ];
  test.each(cases)('$name', ({ existing, uses, creates, deletes, overflow }) => {
    const plans = plan(existing, uses);
    const subjects = (list: readonly FederatedCredential[] | undefined) => (list ?? []).map((c) => c.subject);
    expect(subjects(plans[0]?.creates)).toEqual(creates);
    expect(subjects(plans[0]?.deletes)).toEqual(deletes);
    expect(subjects(plans[0]?.overflow)).toEqual(overflow);
    if (creates.length + deletes.length + overflow.length === 0) expect(plans).toEqual([]);
    for (const created of plans[0]?.creates ?? []) expect(created).toEqual(ours(created.subject));
  });

  test('an identity ARM did not list is not planned', () => {
    const desired = desiredFederatedCredentials(
      [fed],
      [{ identity: fed, podNamespace: 'a', serviceAccountName: 'b' }],
      ISSUER,
    );
    expect(planFederatedCredentials({ desired, existing: new Map(), issuerUrl: ISSUER })).toEqual([]);
  });
});

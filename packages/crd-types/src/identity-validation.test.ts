import { describe, expect, test } from '@jest/globals';
import { validateAzureIdentity } from './identity-validation.js';
import { parseAzureIdentity } from './parse.js';
import type { AzureIdentity } from './schemas/azure-identity.js';

const RESOURCE_ID = '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web';
const CLIENT_ID = '00000000-0000-0000-0000-0000000000aa';

function identity(spec: AzureIdentity['spec']): AzureIdentity {
  return { metadata: { namespace: 'ns', name: 'id' }, spec };
}

describe('validateAzureIdentity', () => {
  test.each([
    ['type 0 complete', { type: 0, clientID: CLIENT_ID, resourceID: RESOURCE_ID }],
    ['type omitted (0) complete', { clientID: CLIENT_ID, resourceID: RESOURCE_ID }],
    [
      'type 1 complete',
      { type: 1, tenantID: 't', clientID: CLIENT_ID, clientPassword: { name: 'sp', namespace: 'ns' } },
    ],
    [
      'type 2 complete, secret namespace defaulted',
      { type: 2, tenantID: 't', clientID: CLIENT_ID, clientPassword: { name: 'c' } },
    ],
    ['type 3 (federated) with clientID and tenantID', { type: 3, tenantID: 't', clientID: CLIENT_ID }],
    [
      'type 3 with its user-assigned identity',
      { type: 3, tenantID: 't', clientID: CLIENT_ID, resourceID: RESOURCE_ID },
    ],
  ])('%s is valid', (_name, spec) => {
    expect(validateAzureIdentity(identity(spec))).toEqual({ ok: true });
  });

  test.each([
    ['empty spec', {}, 'identity_empty_spec', 'AzureIdentity ns/id: spec is empty: it names no identity'],
    ['type 3 without tenantID', { type: 3, clientID: CLIENT_ID }, 'identity_missing_tenant_id', 'federated identity'],
    ['type 3 without clientID', { type: 3, tenantID: 't' }, 'identity_missing_client_id', 'federated identity'],
    [
      'type 3 with a malformed resourceID',
      { type: 3, tenantID: 't', clientID: CLIENT_ID, resourceID: '/subscriptions/s' },
      'identity_invalid_resource_id',
      'invalid resource id',
    ],
    [
      'type 0 without clientID',
      { type: 0, resourceID: RESOURCE_ID },
      'identity_missing_client_id',
      'without spec.clientID',
    ],
    [
      'type 0 with blank clientID',
      { clientID: '  ', resourceID: RESOURCE_ID },
      'identity_missing_client_id',
      'without spec.clientID',
    ],
    [
      'type 0 without resourceID',
      { type: 0, clientID: CLIENT_ID },
      'identity_missing_resource_id',
      'without spec.resourceID',
    ],
    [
      'type 0 malformed resourceID',
      { clientID: CLIENT_ID, resourceID: '/subscriptions/s/resourceGroups/rg' },
      'identity_invalid_resource_id',
      'invalid resource id: "/subscriptions/s/resourceGroups/rg"',
    ],
    [
      'type 0 with a VM id',
      {
        clientID: CLIENT_ID,
        resourceID: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
      },
      'identity_invalid_resource_id',
      'must match',
    ],
    [
      'type 1 without tenantID',
      { type: 1, clientID: CLIENT_ID, clientPassword: { name: 'sp' } },
      'identity_missing_tenant_id',
      'service principal (type 1) without spec.tenantID',
    ],
    [
      'type 1 without clientID',
      { type: 1, tenantID: 't', clientPassword: { name: 'sp' } },
      'identity_missing_client_id',
      'service principal (type 1) without spec.clientID',
    ],
    [
      'type 1 without clientPassword',
      { type: 1, tenantID: 't', clientID: CLIENT_ID },
      'identity_missing_client_password',
      'spec.clientPassword.name',
    ],
    [
      'type 2 with nameless clientPassword',
      { type: 2, tenantID: 't', clientID: CLIENT_ID, clientPassword: { namespace: 'ns' } },
      'identity_missing_client_password',
      'service principal (type 2)',
    ],
    [
      'unknown type 7',
      { type: 7, clientID: CLIENT_ID, resourceID: RESOURCE_ID },
      'identity_unknown_type',
      'unknown spec.type 7',
    ],
  ])('%s is invalid', (_name, spec, code, text) => {
    const result = validateAzureIdentity(identity(spec));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toContain(text);
    expect(result.message.startsWith('AzureIdentity ns/id: ')).toBe(true);
  });
});

describe('spec.type in the schema', () => {
  test('an unknown type is refused when an AzureIdentity is parsed; 0, 1, 2 and 3 are read', () => {
    const raw = (type: number) => ({
      metadata: { namespace: 'ns', name: 'id' },
      spec: type === 3 ? { type, clientID: 'c', tenantID: 't' } : { type },
    });
    for (const type of [0, 1, 2, 3]) expect(parseAzureIdentity(raw(type)).ok).toBe(true);
    const seven = parseAzureIdentity(raw(7));
    expect(seven.ok).toBe(false);
    if (!seven.ok) expect(seven.error.message).toContain('unknown identity type');
  });
});

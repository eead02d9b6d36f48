import { describe, expect, test } from '@jest/globals';
import { IdentityType, identityTypeOf, parseAzureIdentity } from './index.js';

const federated = {
  apiVersion: 'aadpodidentity.k8s.io/v1',
  kind: 'AzureIdentity',
  metadata: { name: 'fed', namespace: 'default' },
  spec: { type: 3, clientID: '00000000-0000-0000-0000-0000000000f1', tenantID: 'tenant-1' },
};

describe('federated identity (type 3)', () => {
  test('parses with clientID and tenantID; resourceID is optional', () => {
    const result = parseAzureIdentity(federated);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(identityTypeOf(result.value)).toBe(IdentityType.FederatedIdentity);
    const withResource = parseAzureIdentity({
      ...federated,
      spec: {
        ...federated.spec,
        resourceID: '/subscriptions/s/resourceGroups/rg/providers/x/userAssignedIdentities/u',
      },
    });
    expect(withResource.ok).toBe(true);
  });

  test.each(['clientID', 'tenantID'] as const)('refuses a type-3 identity without %s, naming the field', (field) => {
    const spec: Record<string, unknown> = { ...federated.spec };
    delete spec[field];
    const result = parseAzureIdentity({ ...federated, spec });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.path).toBe(`spec.${field}`);
    expect(result.error.message).toContain(`a federated identity (type 3) needs spec.${field}`);
    expect(parseAzureIdentity({ ...federated, spec: { ...spec, [field]: '  ' } }).ok).toBe(false);
  });

  test('other types keep upstream leniency (a type-1 identity without tenantID still parses)', () => {
    expect(parseAzureIdentity({ ...federated, spec: { type: 1, clientID: 'c' } }).ok).toBe(true);
  });
});

import { describe, expect, test } from '@jest/globals';
import { parseUserAssignedIdentityId } from './index.js';

const valid =
  '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-1';

describe('parseUserAssignedIdentityId (§2.13)', () => {
  test('extracts subscription, resource group and name', () => {
    expect(parseUserAssignedIdentityId(valid)).toEqual({
      ok: true,
      value: { subscriptionId: 'sub-1', resourceGroup: 'rg-1', name: 'id-1' },
    });
  });

  test.each([
    ['all lower case', valid.toLowerCase()],
    ['all upper case', valid.toUpperCase()],
    ['unanchored: prefix and suffix', `xx${valid}/extra`],
    [
      'the dot in Microsoft.ManagedIdentity matches any character, as upstream',
      valid.replace('Microsoft.', 'MicrosoftX'),
    ],
  ])('accepted like upstream: %s', (_label, id) => {
    expect(parseUserAssignedIdentityId(id).ok).toBe(true);
  });

  test.each([
    [
      'missing resourcegroups (checklist row 22)',
      '/subscriptions/s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n',
    ],
    ['empty', ''],
    ['wrong provider', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/userAssignedIdentities/n'],
    ['no name', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/'],
    [
      'empty subscription',
      '/subscriptions//resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n',
    ],
  ])('rejected with upstream text: %s', (_label, id) => {
    const result = parseUserAssignedIdentityId(id);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'invalid_resource_id',
        message: `invalid resource id: "${id}", must match /subscriptions/<subid>/resourcegroups/<resourcegroup>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`,
      },
    });
  });
});

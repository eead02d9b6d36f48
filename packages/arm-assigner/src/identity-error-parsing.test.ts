import { describe, expect, test } from '@jest/globals';
import { identitiesNamedInError } from './identity-error-parsing.js';

const a = '/subscriptions/sub-1/resourcegroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a';
const b = '/subscriptions/sub-1/resourceGroups/rg_2/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ID_b';

describe('identitiesNamedInError', () => {
  test('LinkedAuthorizationFailed with a comma-separated linked scope list', () => {
    const message = `The client 'x' with object id 'y' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${a},${b}' or the linked scope(s) are invalid.`;
    expect(identitiesNamedInError('LinkedAuthorizationFailed', message)).toEqual({
      reason: 'LinkedAuthorizationFailed',
      ids: [a, b],
    });
  });

  test('FailedIdentityOperation with the identity RP answer quoted inside', () => {
    const message = `The long-running operation has failed. FailedIdentityOperation. Identity operation for resource '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss' failed with error 'Failed to perform resource identity operation. Status: 'NotFound'. Response: '{"error":{"code":"NotFound","message":"Resource '${b}' not found."}}'.'.`;
    expect(identitiesNamedInError(undefined, message)).toEqual({ reason: 'FailedIdentityOperation', ids: [b] });
  });

  test('other errors, and qualifying errors without a quoted identity, name nothing', () => {
    expect(identitiesNamedInError('InternalServerError', `boom '${a}'`)).toBeUndefined();
    expect(identitiesNamedInError('LinkedAuthorizationFailed', 'no ids here')).toBeUndefined();
    // Unquoted IDs are not picked up (upstream reads only quoted lists).
    expect(identitiesNamedInError('LinkedAuthorizationFailed', `scope ${a} denied`)).toBeUndefined();
  });
});

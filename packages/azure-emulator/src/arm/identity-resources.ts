import type { EmulatorContext } from '../emulator-context.js';
import { userAssignedIdentityId } from '../state/resource-id.js';
import { ArmError } from './arm-error.js';
import { identityResourceToJson } from './resource-json.js';

/** Microsoft.ManagedIdentity/userAssignedIdentities: the GET and PUT an identity controller or its operator uses. */

interface IdentityRoute {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const IDENTITY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;

export function getUserAssignedIdentity(ctx: EmulatorContext, r: IdentityRoute) {
  const record = ctx.state.getUserAssignedIdentity(userAssignedIdentityId(r, r.name));
  if (!record) {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${r.name}' under resource group '${r.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return { status: 200, body: identityResourceToJson(record) };
}

/** Creates (201) or updates (200) an identity; clientId/principalId stay stable across updates. */
export function putUserAssignedIdentity(ctx: EmulatorContext, r: IdentityRoute, body: Record<string, unknown>) {
  if (!IDENTITY_NAME.test(r.name)) {
    throw new ArmError(
      400,
      'InvalidResourceName',
      `Resource name '${r.name}' is invalid. The name can contain only letters, numbers, underscores and hyphens, must start with a letter or number and be 3 to 128 characters long.`,
    );
  }
  const location = body['location'];
  if (typeof location !== 'string' || location.length === 0) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const existed = ctx.state.getUserAssignedIdentity(userAssignedIdentityId(r, r.name)) !== undefined;
  const record = ctx.state.addUserAssignedIdentity(r.subscriptionId, r.resourceGroup, r.name, { location });
  return { status: existed ? 200 : 201, body: identityResourceToJson(record) };
}

import type { EmulatorContext } from '../emulator-context.js';
import {
  type FederatedCredentialProblem,
  type FederatedCredentialRecord,
  FederatedCredentialStore,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
} from '../state/federated-credentials.js';
import { userAssignedIdentityId } from '../state/resource-id.js';
import { ArmError } from './arm-error.js';

/**
 * `Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials[/{fic}]`: create or update
 * (200/201), get, delete (200, or 204 when absent) and list (with `$top` / `$skiptoken` paging), as @azure/arm-msi
 * calls them.
 */

export interface FederatedCredentialRoute {
  subscriptionId: string;
  resourceGroup: string;
  /** The identity's name. */
  name: string;
  /** The credential's name; absent for the list. */
  credential: string | undefined;
}

const FIC_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';

function credentialToJson(record: FederatedCredentialRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    type: FIC_TYPE,
    properties: { issuer: record.issuer, subject: record.subject, audiences: [...record.audiences] },
  };
}

function identityOwner(ctx: EmulatorContext, r: FederatedCredentialRoute): { owner: string; identityId: string } {
  const identityId = userAssignedIdentityId(r, r.name);
  const identity = ctx.state.getUserAssignedIdentity(identityId);
  if (!identity) {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${r.name}' under resource group '${r.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return { owner: FederatedCredentialStore.identityOwner(identity.id), identityId: identity.id };
}

export function handleFederatedCredential(
  ctx: EmulatorContext,
  r: FederatedCredentialRoute,
  method: string,
  url: URL,
  body: () => Record<string, unknown>,
): { status: number; body: unknown } {
  const { owner, identityId } = identityOwner(ctx, r);
  const store = ctx.state.federatedCredentials;
  if (r.credential === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return { status: 200, body: listPage(store.list(owner), url) };
  }
  const name = r.credential;
  switch (method) {
    case 'GET': {
      const record = store.get(owner, name);
      if (!record) {
        throw new ArmError(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${r.name}/federatedIdentityCredentials/${name}' under resource group '${r.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        );
      }
      return { status: 200, body: credentialToJson(record) };
    }
    case 'PUT': {
      const properties = body()['properties'];
      const fields =
        typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
      const result = store.put(owner, `${identityId}/federatedIdentityCredentials/${name}`, name, {
        issuer: fields['issuer'],
        subject: fields['subject'],
        audiences: fields['audiences'],
      });
      if (!result.ok) throw problemError(result.problem, name, r.name);
      return { status: result.created ? 201 : 200, body: credentialToJson(result.record) };
    }
    case 'DELETE':
      return store.delete(owner, name) ? { status: 200, body: {} } : { status: 204, body: {} };
    default:
      throw methodNotAllowed(method);
  }
}

/** `$top` limits a page; `$skiptoken` (an offset here) resumes, and `nextLink` points at the next page. */
function listPage(all: FederatedCredentialRecord[], url: URL): Record<string, unknown> {
  const top = Number(url.searchParams.get('$top') ?? all.length);
  const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
  const size = Number.isInteger(top) && top > 0 ? top : all.length;
  const start = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const page = all.slice(start, start + size);
  const result: Record<string, unknown> = { value: page.map(credentialToJson) };
  if (start + size < all.length) {
    const next = new URL(url.toString());
    next.searchParams.set('$skiptoken', String(start + size));
    result['nextLink'] = next.toString();
  }
  return result;
}

function problemError(problem: FederatedCredentialProblem, name: string, identityName: string): ArmError {
  switch (problem.kind) {
    case 'invalidName':
      return new ArmError(
        400,
        'InvalidResourceName',
        `Resource name '${name}' is invalid. The name can contain only letters, numbers, underscores and hyphens, must start with a letter or number and be 3 to 120 characters long.`,
      );
    case 'invalidField':
      return new ArmError(400, 'BadRequest', problem.message, {}, `properties.${problem.field}`);
    case 'duplicate':
      return new ArmError(
        409,
        'Conflict',
        `A federated identity credential with the same issuer and subject already exists on identity '${identityName}': '${problem.existingName}'.`,
      );
    case 'limit':
      return new ArmError(
        400,
        'BadRequest',
        `Too many federated identity credentials: identity '${identityName}' already has the maximum of ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}.`,
      );
  }
}

function methodNotAllowed(method: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
}

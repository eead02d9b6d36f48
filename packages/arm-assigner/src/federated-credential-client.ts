import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { parseUserAssignedIdentityId, type UserAssignedIdentityIdParts } from '@podid/crd-types';
import { ArmAssignerError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { createMsiClient, type SdkArmIdentityClientOptions } from './sdk-arm-identity-client.js';
import { mapSdkError } from './sdk-error-mapping.js';

/** A federated identity credential of a user-assigned identity, as ARM has it. */
export interface FederatedIdentityCredentialInfo {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

/** What MIC needs to manage federated credentials: list, create and delete on one user-assigned identity. */
export interface FederatedCredentialClient {
  list(identityResourceId: string): Promise<FederatedIdentityCredentialInfo[]>;
  create(identityResourceId: string, credential: FederatedIdentityCredentialInfo): Promise<void>;
  delete(identityResourceId: string, name: string): Promise<void>;
}

/**
 * FederatedCredentialClient over @azure/arm-msi's `federatedIdentityCredentials` (same endpoint, CA, user agent
 * and retry policy as the other ARM clients). Writes to one identity run one at a time, since Azure refuses
 * concurrent federated-credential writes on one identity; different identities proceed in parallel. Every failure
 * is an ArmAssignerError (`invalid_resource_id`, `identity_not_found`, `throttled`, `arm_request_failed`, ...).
 */
export class SdkFederatedCredentialClient implements FederatedCredentialClient {
  readonly #options: SdkArmIdentityClientOptions;
  readonly #clients = new Map<string, ManagedServiceIdentityClient>();
  readonly #writes = new KeyedMutex();

  constructor(options: SdkArmIdentityClientOptions) {
    this.#options = options;
  }

  async list(identityResourceId: string): Promise<FederatedIdentityCredentialInfo[]> {
    const id = parseId(identityResourceId);
    const msi = this.#clientFor(id.subscriptionId);
    const found: FederatedIdentityCredentialInfo[] = [];
    try {
      for await (const credential of msi.federatedIdentityCredentials.list(id.resourceGroup, id.name)) {
        found.push({
          name: credential.name ?? '',
          issuer: credential.issuer ?? '',
          subject: credential.subject ?? '',
          audiences: credential.audiences ?? [],
        });
      }
    } catch (error) {
      throw this.#mapped(
        error,
        'read',
        `failed to list federated credentials of identity ${id.name} in ${id.resourceGroup}`,
      );
    }
    return found;
  }

  async create(identityResourceId: string, credential: FederatedIdentityCredentialInfo): Promise<void> {
    const id = parseId(identityResourceId);
    const msi = this.#clientFor(id.subscriptionId);
    await this.#writes.run(identityResourceId.toLowerCase(), async () => {
      try {
        await msi.federatedIdentityCredentials.createOrUpdate(id.resourceGroup, id.name, credential.name, {
          issuer: credential.issuer,
          subject: credential.subject,
          audiences: [...credential.audiences],
        });
      } catch (error) {
        throw this.#mapped(
          error,
          'write',
          `failed to create federated credential ${credential.name} on identity ${id.name} in ${id.resourceGroup}`,
        );
      }
    });
  }

  async delete(identityResourceId: string, name: string): Promise<void> {
    const id = parseId(identityResourceId);
    const msi = this.#clientFor(id.subscriptionId);
    await this.#writes.run(identityResourceId.toLowerCase(), async () => {
      try {
        await msi.federatedIdentityCredentials.delete(id.resourceGroup, id.name, name);
      } catch (error) {
        // Already gone is what a delete wants.
        if ((error as { statusCode?: unknown }).statusCode === 404) return;
        throw this.#mapped(
          error,
          'write',
          `failed to delete federated credential ${name} of identity ${id.name} in ${id.resourceGroup}`,
        );
      }
    });
  }

  #mapped(error: unknown, operation: 'read' | 'write', what: string): ArmAssignerError {
    return mapSdkError(error, { operation, what, notFoundCode: 'identity_not_found', nowMs: Date.now() });
  }

  #clientFor(subscriptionId: string): ManagedServiceIdentityClient {
    const key = subscriptionId.toLowerCase();
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = createMsiClient(this.#options, subscriptionId);
      this.#clients.set(key, client);
    }
    return client;
  }
}

function parseId(resourceId: string): UserAssignedIdentityIdParts {
  const parsed = parseUserAssignedIdentityId(resourceId);
  if (!parsed.ok) throw new ArmAssignerError('invalid_resource_id', parsed.error.message);
  return parsed.value;
}

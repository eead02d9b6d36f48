import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { type CloudEnvironment, KNOWN_CLOUD_ENVIRONMENTS } from './cloud-environment.js';
import { ArmAssignerError } from './errors.js';

/**
 * How MIC authenticates to ARM (§2.1 step 5). Field names follow azure.json so the MIC app can pass its parsed
 * cloud config straight through.
 */
export interface ArmCredentialConfig {
  readonly environment: CloudEnvironment;
  /** azure.json `useManagedIdentityExtension` / env `USE_MSI`: use the node's managed identity via IMDS. */
  readonly useManagedIdentityExtension?: boolean;
  /** azure.json `userAssignedIdentityID`: client ID of the user-assigned identity; empty = system-assigned. */
  readonly userAssignedIdentityID?: string;
  readonly tenantId?: string;
  readonly aadClientId?: string;
  readonly aadClientSecret?: string;
  /** Extra CA certificate(s) (PEM) trusted for the AAD endpoint, e.g. the emulator's. */
  readonly tlsCa?: string | Buffer | readonly (string | Buffer)[];
  readonly httpClient?: HttpClient;
}

/**
 * Builds the ARM credential: a managed identity (the IMDS endpoint can be moved with the standard
 * `AZURE_POD_IDENTITY_AUTHORITY_HOST` variable, which @azure/identity honours) or a service principal with a client
 * secret against the cloud's AAD endpoint. Throws `invalid_credential_config` naming the missing field (never the
 * secret itself).
 */
export function createArmCredential(config: ArmCredentialConfig): TokenCredential {
  const transport = {
    ...(config.httpClient === undefined ? {} : { httpClient: config.httpClient }),
    ...(config.tlsCa === undefined
      ? {}
      : { tlsOptions: { ca: config.tlsCa as string | Buffer | (string | Buffer)[] } }),
  };
  if (config.useManagedIdentityExtension === true) {
    const clientId = config.userAssignedIdentityID?.trim() ?? '';
    return clientId === ''
      ? new ManagedIdentityCredential(transport)
      : new ManagedIdentityCredential({ ...transport, clientId });
  }
  for (const field of ['tenantId', 'aadClientId', 'aadClientSecret'] as const) {
    const value = config[field];
    if (value === undefined || value.trim() === '') {
      throw new ArmAssignerError(
        'invalid_credential_config',
        `service principal credential needs ${field} (or set useManagedIdentityExtension to use a managed identity)`,
      );
    }
  }
  const isKnownCloud = Object.values(KNOWN_CLOUD_ENVIRONMENTS).some(
    (known) => known.activeDirectoryEndpointUrl === config.environment.activeDirectoryEndpointUrl,
  );
  return new ClientSecretCredential(config.tenantId!, config.aadClientId!, config.aadClientSecret!, {
    ...transport,
    authorityHost: config.environment.activeDirectoryEndpointUrl,
    // Instance discovery asks the public cloud's login host about the authority; a custom cloud (Azure Stack, the
    // emulator) is not known there, so trust its endpoint as configured, like MSAL's knownAuthorities.
    disableInstanceDiscovery: !isKnownCloud,
  });
}

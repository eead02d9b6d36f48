import { ComputeManagementClient } from '@azure/arm-compute';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { type AzureEmulator, type AzureEmulatorOptions, startAzureEmulator } from '../azure-emulator.js';
import { createMsalNetworkClient } from '../msal-network-client.js';
import {
  type ClientCertificate,
  type EmulatorTls,
  generateClientCertificate,
  generateEmulatorTls,
} from '../tls/certificates.js';

/** A small emulated Azure most tests share: one subscription, one resource group, one SP, a few identities. */
export interface EmulatedWorld {
  emulator: AzureEmulator;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  sp: { clientId: string; secret: string; certificate: ClientCertificate };
  identityIds: string[];
  credential: TokenCredential;
  compute: ComputeManagementClient;
  msi: ManagedServiceIdentityClient;
}

export function msalAppFor(
  emulator: AzureEmulator,
  tenantId: string,
  clientId: string,
  secretOrCert: { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string } },
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      authority: `${emulator.aadUrl}/${tenantId}`,
      // Skips msal's cloud instance discovery (which would go to login.microsoftonline.com).
      knownAuthorities: [new URL(emulator.aadUrl).host],
      ...secretOrCert,
    },
    system: { networkClient: createMsalNetworkClient(emulator.caCertPem) },
  });
}

/** A TokenCredential (what the ARM SDKs want) over msal-node client credentials. */
export function credentialFrom(app: ConfidentialClientApplication): TokenCredential {
  return {
    async getToken(scopes): Promise<AccessToken | null> {
      const result = await app.acquireTokenByClientCredential({ scopes: Array.isArray(scopes) ? scopes : [scopes] });
      if (!result) return null;
      return { token: result.accessToken, expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 3_000_000 };
    },
  };
}

export function computeClientFor(emulator: AzureEmulator, credential: TokenCredential, subscriptionId: string) {
  return new ComputeManagementClient(credential, subscriptionId, {
    endpoint: emulator.armUrl,
    tlsOptions: { ca: emulator.caCertPem },
    // Tests that want to see a 429/500 themselves turn the SDK's retries off.
    retryOptions: { maxRetries: 0 },
  });
}

// RSA key generation dominates start-up on a busy 2-core machine, so one test file shares one CA/server
// certificate and one client certificate across the emulators it starts.
let sharedTls: Promise<EmulatorTls> | undefined;
let sharedClientCertificate: Promise<ClientCertificate> | undefined;

export async function startEmulatedWorld(
  options: AzureEmulatorOptions = {},
  identityCount = 3,
): Promise<EmulatedWorld> {
  sharedTls ??= generateEmulatorTls();
  sharedClientCertificate ??= generateClientCertificate();
  const emulator = await startAzureEmulator({ tls: await sharedTls, ...options });
  const { admin } = emulator;
  const { subscriptionId, tenantId } = admin.createSubscription();
  const resourceGroup = 'rg-nodes';
  admin.createResourceGroup({ subscriptionId, name: resourceGroup, location: 'westeurope' });
  admin.createResourceGroup({ subscriptionId, name: 'rg-identities', location: 'westeurope' });
  const certificate = await sharedClientCertificate;
  const secret = 'correct-horse-battery-staple';
  const { clientId } = admin.createServicePrincipal({ tenantId, secret, certificatePem: certificate.certificatePem });
  const identityIds: string[] = [];
  for (let i = 0; i < identityCount; i++) {
    identityIds.push(
      admin.createUserAssignedIdentity({ subscriptionId, resourceGroup: 'rg-identities', name: `id-${i}` }).id,
    );
  }
  const credential = credentialFrom(msalAppFor(emulator, tenantId, clientId, { clientSecret: secret }));
  const compute = computeClientFor(emulator, credential, subscriptionId);
  const msi = new ManagedServiceIdentityClient(credential, subscriptionId, {
    endpoint: emulator.armUrl,
    tlsOptions: { ca: emulator.caCertPem },
  });
  return {
    emulator,
    tenantId,
    subscriptionId,
    resourceGroup,
    sp: { clientId, secret, certificate },
    identityIds,
    credential,
    compute,
    msi,
  };
}

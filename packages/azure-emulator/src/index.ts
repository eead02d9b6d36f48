// Starting the emulator
export { type AzureEmulator, type AzureEmulatorOptions, startAzureEmulator } from './azure-emulator.js';
export { runCli, type RunningCli } from './cli/run-cli.js';
export { type SeededWorld, seedWorld } from './cli/seed-world.js';

// Shaping and observing the emulated Azure
export {
  AdminError,
  type CreateComputeOptions,
  type CreatedCompute,
  type CreateScaleSetOptions,
  type CreateVirtualMachineOptions,
  EmulatorAdmin,
  type FaultArea,
  type IdentityState,
} from './admin/emulator-admin.js';
export type { ConcurrentUpdateMode, LatencySettings, PatchLogEntry } from './emulator-context.js';
export type { FaultSpec } from './fault-injector.js';
export type { BudgetLimit, ThrottleOptions } from './arm/request-budget.js';
export type { ArmOperationKind } from './arm/arm-router.js';
export { MAX_IDENTITIES_PER_REQUEST } from './arm/identity-patch.js';
export type { ImdsEndpoint, ImdsListenOptions } from './imds/imds-listeners.js';

// Connecting clients
export { createMsalNetworkClient, type MsalNetworkClient } from './msal-network-client.js';
export {
  type ClientSecretCredentialOptions,
  createClientSecretCredential,
  type EmulatorTokenCredential,
  TokenRequestError,
} from './client-secret-credential.js';

// Certificates and resource IDs
export {
  type CertificateAndKey,
  type ClientCertificate,
  type EmulatorTls,
  generateClientCertificate,
  generateEmulatorTls,
  toPkcs12Base64,
} from './tls/certificates.js';
export {
  normalizeResourceId,
  scaleSetId,
  userAssignedIdentityId,
  virtualMachineId,
} from './state/resource-id.js';
export {
  type FederatedCredentialRecord,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
} from './state/federated-credentials.js';

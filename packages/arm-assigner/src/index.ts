// Applying identity deltas to VMs and VMSSs
export {
  IdentityAssigner,
  DEFAULT_UPDATE_USER_MSI_MAX_RETRY,
  DEFAULT_UPDATE_USER_MSI_RETRY_INTERVAL_MS,
} from './identity-assigner.js';
export type { IdentityAssignerOptions } from './identity-assigner.js';
export { createArmIdentityAssigner } from './create-arm-identity-assigner.js';
export type { CreateArmIdentityAssignerOptions } from './create-arm-identity-assigner.js';
export type { ApplyIdentityDeltaResult, ApplyStatus, DroppedIdentity } from './apply-result.js';
export type { DropReason } from './identity-error-parsing.js';

// ARM access
export type { ArmIdentityClient, UserAssignedIdentityInfo } from './arm-identity-client.js';
export {
  SdkArmIdentityClient,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_UPDATE_TIMEOUT_MS,
} from './sdk-arm-identity-client.js';
export type { SdkArmIdentityClientOptions } from './sdk-arm-identity-client.js';
export { SdkFederatedCredentialClient } from './federated-credential-client.js';
export type { FederatedCredentialClient, FederatedIdentityCredentialInfo } from './federated-credential-client.js';
export { transientRetryPolicy, TRANSIENT_RETRY_POLICY_NAME } from './transient-retry-policy.js';
export type { TransientRetryOptions } from './transient-retry-policy.js';

// Throttling and call metrics
export type { ArmCallEvent, ArmCallOperation } from './throttled-arm-client.js';
export { ThrottleGate } from './throttle-gate.js';
export type { Clock } from './throttle-gate.js';
export {
  parseRetryAfter,
  RETRY_AFTER_CAP_MS,
  type RetryAfter,
  retryAfterDeadline,
  retryAfterNote,
} from './retry-after.js';

// Clouds and credentials
export {
  resolveCloudEnvironment,
  parseEnvironmentJson,
  armTokenScope,
  KNOWN_CLOUD_ENVIRONMENTS,
  AZURE_STACK_CLOUD_NAME,
  ENVIRONMENT_FILEPATH_VARIABLE,
} from './cloud-environment.js';
export type { CloudEnvironment, ResolveCloudEnvironmentOptions } from './cloud-environment.js';
export { createArmCredential } from './arm-credential.js';
export type { ArmCredentialConfig } from './arm-credential.js';

// Errors
export { ArmAssignerError, isArmAssignerError } from './errors.js';
export type { ArmAssignerErrorCode, ArmOperation } from './errors.js';

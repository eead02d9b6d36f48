/**
 * Every failure this package reports is an `ArmAssignerError` with a stable `code`. Callers (MIC) branch on `code`;
 * `message` is for the person reading the log and never contains a token or a secret.
 */

export type ArmAssignerErrorCode =
  /**
   * ARM answered 429, or a call was refused locally (no request sent) because an earlier response's Retry-After
   * deadline has not passed. `retryAt` says when that kind of call (`operation`) may run again.
   */
  | 'throttled'
  /** The VM/VMSS is being deleted (`provisioningState: Deleting`); no PATCH was sent. */
  | 'target_deleting'
  | 'invalid_target'
  | 'invalid_resource_id'
  | 'subscription_not_found'
  | 'resource_group_not_found'
  | 'target_not_found'
  | 'identity_not_found'
  /** The credential could not get a token (wrong secret, unknown tenant, unreachable AAD). */
  | 'authentication_failed'
  /** ARM rejected the token or the principal lacks a permission (401/403 without a droppable identity). */
  | 'authorization_failed'
  /** Every identity of the delta was rejected by ARM (LinkedAuthorizationFailed / FailedIdentityOperation). */
  | 'identities_rejected'
  | 'unknown_cloud'
  | 'invalid_cloud_environment'
  | 'invalid_credential_config'
  /** Any other ARM or transport failure (5xx after the pipeline's bounded retries, connection refused, ...). */
  | 'arm_request_failed';

export type ArmOperation = 'read' | 'write';

export interface ArmAssignerErrorDetails {
  /** HTTP status of the ARM response, when there was one. */
  readonly statusCode?: number;
  /** ARM's own error code (`error.code` of the response body), e.g. `LinkedAuthorizationFailed`. */
  readonly armErrorCode?: string;
  /** For `throttled`: the moment (epoch ms) from which the operation may be attempted again. */
  readonly retryAt?: number;
  /** For `throttled` and ARM failures: which kind of call failed. */
  readonly operation?: ArmOperation;
  /** The response's Retry-After was ignored (not an RFC 9110 form) or capped: what to log about it. */
  readonly retryAfterNote?: string;
  /** The underlying error, for debugging. */
  readonly cause?: unknown;
}

export class ArmAssignerError extends Error {
  override readonly name = 'ArmAssignerError';
  readonly code: ArmAssignerErrorCode;
  readonly statusCode: number | undefined;
  readonly armErrorCode: string | undefined;
  readonly retryAt: number | undefined;
  readonly operation: ArmOperation | undefined;
  readonly retryAfterNote: string | undefined;

  constructor(code: ArmAssignerErrorCode, message: string, details: ArmAssignerErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.statusCode = details.statusCode;
    this.armErrorCode = details.armErrorCode;
    this.retryAt = details.retryAt;
    this.retryAfterNote = details.retryAfterNote;
    this.operation = details.operation;
  }
}

export function isArmAssignerError(value: unknown): value is ArmAssignerError {
  return value instanceof ArmAssignerError;
}

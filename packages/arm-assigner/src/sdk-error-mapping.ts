import { ArmAssignerError, type ArmAssignerErrorCode, type ArmOperation } from './errors.js';
import { parseRetryAfter, retryAfterNote } from './retry-after.js';

/** Error names @azure/identity uses when a credential cannot produce a token. */
const CREDENTIAL_ERROR_NAMES = new Set([
  'AuthenticationError',
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationRequiredError',
]);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get(name: string): string | undefined } };
}

export interface SdkErrorContext {
  readonly operation: ArmOperation;
  /** Upstream-style prefix, e.g. `failed to get vmss ss1 in resource group rg`. */
  readonly what: string;
  /** The code for a plain 404 of the addressed resource. */
  readonly notFoundCode: ArmAssignerErrorCode;
  readonly nowMs: number;
}

/**
 * Turns whatever the Azure SDK threw (RestError, an LRO failure, a credential error) into an ArmAssignerError.
 * The ARM message is kept in full: error-driven retry reads the identity IDs out of it.
 */
export function mapSdkError(error: unknown, context: SdkErrorContext): ArmAssignerError {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const sdkMessage = typeof shape.message === 'string' ? shape.message : String(error);
  const statusCode = typeof shape.statusCode === 'number' ? shape.statusCode : undefined;
  const armErrorCode = typeof shape.code === 'string' ? shape.code : undefined;
  const retryAfter = parseRetryAfter(shape.response?.headers?.get('retry-after'), context.nowMs);
  const retryAt = retryAfter.kind === 'wait' ? retryAfter.deadline : undefined;
  const note = retryAfterNote(retryAfter);
  const details = {
    ...(note === undefined ? {} : { retryAfterNote: note }),
    operation: context.operation,
    cause: error,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(armErrorCode === undefined ? {} : { armErrorCode }),
    ...(retryAt === undefined ? {} : { retryAt }),
  };
  const message = `${context.what}, error: ${sdkMessage}`;

  if (typeof shape.name === 'string' && CREDENTIAL_ERROR_NAMES.has(shape.name)) {
    return new ArmAssignerError(
      'authentication_failed',
      `${context.what}: could not get an ARM token: ${sdkMessage}`,
      details,
    );
  }
  return new ArmAssignerError(codeFor(statusCode, armErrorCode, context.notFoundCode), message, details);
}

function codeFor(
  statusCode: number | undefined,
  armErrorCode: string | undefined,
  notFoundCode: ArmAssignerErrorCode,
): ArmAssignerErrorCode {
  if (statusCode === 429) return 'throttled';
  if (armErrorCode === 'SubscriptionNotFound' || armErrorCode === 'InvalidSubscriptionId')
    return 'subscription_not_found';
  if (armErrorCode === 'ResourceGroupNotFound') return 'resource_group_not_found';
  if (statusCode === 404) return notFoundCode;
  // ARM answers 401 when it does not accept the token (wrong tenant or audience, expired, forged).
  if (statusCode === 401) return 'authentication_failed';
  if (statusCode === 403) return 'authorization_failed';
  return 'arm_request_failed';
}

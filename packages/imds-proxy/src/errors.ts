import { redactSecretText } from '@podid/crd-types';

/**
 * Every failure the NMI server turns into an HTTP answer. `code` is stable (callers and tests branch on it);
 * `message` is the text sent to the client, which keeps upstream's wording where the spec gives one (§3.5).
 */
export type NmiErrorCode =
  | 'caller-address-invalid'
  | 'pod-not-found'
  | 'pod-ambiguous'
  | 'pod-lookup-failed'
  | 'exceptions-lookup-failed'
  | 'identity-not-assigned'
  | 'identity-not-found'
  | 'identity-invalid'
  | 'token-refused'
  | 'token-unavailable'
  | 'unsupported-identity-type'
  | 'secret-unreadable'
  | 'secret-invalid'
  | 'upstream-queue-full'
  | 'too-many-waiting-requests'
  | 'request-aborted'
  | 'internal-error';

export class NmiError extends Error {
  readonly code: NmiErrorCode;

  /**
   * `message` often quotes what IMDS or AAD sent back; it is answered to the pod and logged, so whatever secret it
   * may carry (a token, an assertion, a secret echoed in an error body) is redacted here, once, for both.
   */
  constructor(code: NmiErrorCode, message: string, options?: { cause?: unknown }) {
    super(redactSecretText(message), options);
    this.name = 'NmiError';
    this.code = code;
  }
}

export function isNmiError(value: unknown): value is NmiError {
  return value instanceof NmiError;
}

/** Text of any thrown value, the way Go's `%v` would print an error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

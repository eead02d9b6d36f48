import type { ServerResponse } from 'node:http';
import { NmiError, describeError, isNmiError } from '../errors.js';
import { type ErrorFormat, sendError } from './http-answers.js';

export interface ErrorAnswerOptions {
  /** Token route with `--set-retry-after-header`: lookup failures become 503 + `Retry-After: 20`. */
  readonly retryAfterOnLookupFailure: boolean;
  readonly queueFullRetryAfterSeconds: number;
  /** How the answer is written (default `json`, see `ErrorFormat`). */
  readonly errorFormat?: ErrorFormat;
}

/** Status for each failure (§3.5 table; 429 for the fairness queue is a podid addition). */
export function statusForError(
  error: NmiError,
  options: ErrorAnswerOptions,
): { status: number; headers: Record<string, string> } {
  switch (error.code) {
    case 'identity-not-assigned':
    case 'identity-not-found':
    case 'identity-invalid':
      return options.retryAfterOnLookupFailure
        ? { status: 503, headers: { 'Retry-After': '20' } }
        : { status: 404, headers: {} };
    case 'token-refused':
      return { status: 403, headers: {} };
    case 'token-unavailable':
    case 'unsupported-identity-type':
    case 'secret-unreadable':
    case 'secret-invalid':
      return { status: 503, headers: {} };
    case 'upstream-queue-full':
    case 'too-many-waiting-requests':
      return { status: 429, headers: { 'Retry-After': String(options.queueFullRetryAfterSeconds) } };
    default:
      return { status: 500, headers: {} };
  }
}

/** Writes the error (unless the client already left) and returns the status for logs and metrics. */
export function answerWithError(res: ServerResponse, error: unknown, options: ErrorAnswerOptions): number {
  const nmiError = isNmiError(error) ? error : new NmiError('internal-error', describeError(error), { cause: error });
  if (nmiError.code === 'request-aborted' || res.destroyed) return 499;
  const { status, headers } = statusForError(nmiError, options);
  sendError(res, status, nmiError.message, options.errorFormat ?? 'json', headers);
  return status;
}

/** Tags a failure from a stage with the code the stage stands for, keeping NmiErrors as they are. */
export function asNmiError(
  error: unknown,
  code: NmiError['code'],
  request: { readonly disconnected: boolean },
): NmiError {
  if (request.disconnected) return new NmiError('request-aborted', 'client disconnected', { cause: error });
  if (isNmiError(error)) return error;
  return new NmiError(code, describeError(error), { cause: error });
}

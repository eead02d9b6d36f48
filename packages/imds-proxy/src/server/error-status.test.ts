import { describe, expect, test } from '@jest/globals';
import { NmiError, type NmiErrorCode } from '../errors.js';
import { statusForError } from './error-status.js';

const plain = { retryAfterOnLookupFailure: false, queueFullRetryAfterSeconds: 1 };

describe('statusForError (§3.5 table)', () => {
  test.each<[NmiErrorCode, number]>([
    ['pod-not-found', 500],
    ['pod-ambiguous', 500],
    ['exceptions-lookup-failed', 500],
    ['identity-not-assigned', 404],
    ['identity-not-found', 404],
    ['token-refused', 403],
    ['token-unavailable', 503],
    ['unsupported-identity-type', 503],
    ['secret-unreadable', 503],
    ['secret-invalid', 503],
    ['upstream-queue-full', 429],
    ['internal-error', 500],
  ])('%s → %i', (code, status) => {
    expect(statusForError(new NmiError(code, 'x'), plain).status).toBe(status);
  });

  test('--set-retry-after-header turns lookup failures into 503 + Retry-After: 20, nothing else', () => {
    const withHeader = { ...plain, retryAfterOnLookupFailure: true };
    expect(statusForError(new NmiError('identity-not-found', 'x'), withHeader)).toEqual({
      status: 503,
      headers: { 'Retry-After': '20' },
    });
    expect(statusForError(new NmiError('token-refused', 'x'), withHeader).status).toBe(403);
    expect(statusForError(new NmiError('upstream-queue-full', 'x'), plain).headers).toEqual({ 'Retry-After': '1' });
  });
});

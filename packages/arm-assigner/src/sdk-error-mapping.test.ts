import { describe, expect, test } from '@jest/globals';
import { createHttpHeaders, RestError } from '@azure/core-rest-pipeline';
import { mapSdkError } from './sdk-error-mapping.js';

const context = {
  operation: 'read' as const,
  what: 'failed to get vm n in resource group rg',
  notFoundCode: 'target_not_found' as const,
  nowMs: 1_000,
};

function restError(statusCode: number, code: string, headers: Record<string, string> = {}) {
  return new RestError(`${code} happened`, {
    statusCode,
    code,
    response: { headers: createHttpHeaders(headers), status: statusCode, request: undefined as never },
  });
}

describe('mapSdkError', () => {
  test.each([
    [404, 'SubscriptionNotFound', 'subscription_not_found'],
    [404, 'ResourceGroupNotFound', 'resource_group_not_found'],
    [404, 'ResourceNotFound', 'target_not_found'],
    [401, 'InvalidAuthenticationToken', 'authentication_failed'],
    [403, 'AuthorizationFailed', 'authorization_failed'],
    [500, 'InternalServerError', 'arm_request_failed'],
  ])('%i %s -> %s', (status, armCode, code) => {
    const error = mapSdkError(restError(status, armCode), context);
    expect(error).toMatchObject({ code, statusCode: status, armErrorCode: armCode, operation: 'read' });
    expect(error.message).toBe(`failed to get vm n in resource group rg, error: ${armCode} happened`);
  });

  test('429 becomes throttled with the Retry-After deadline', () => {
    expect(mapSdkError(restError(429, 'TooManyRequests', { 'retry-after': '30' }), context)).toMatchObject({
      code: 'throttled',
      retryAt: 31_000,
    });
  });

  test('credential failures become authentication_failed', () => {
    const error = Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), {
      name: 'AuthenticationError',
    });
    expect(mapSdkError(error, context).code).toBe('authentication_failed');
  });

  test('a Retry-After in a form RFC 9110 does not have sets no deadline and says so for the log', () => {
    const error = mapSdkError(restError(429, 'TooManyRequests', { 'retry-after': '2030-01-01T00:00:00Z' }), context);
    expect(error.retryAt).toBeUndefined();
    expect(error.retryAfterNote).toBe(
      'ignored Retry-After "2030-01-01T00:00:00Z": not delta-seconds or an IMF-fixdate (RFC 9110)',
    );
    const capped = mapSdkError(restError(429, 'TooManyRequests', { 'retry-after': '86400' }), context);
    expect(capped.retryAt).toBe(context.nowMs + 300_000);
    expect(capped.retryAfterNote).toBe('Retry-After capped at 300 s');
  });
});

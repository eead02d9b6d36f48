import { describe, expect, test } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { describeError, httpStatusOf, isConflict, isGone, isNotFound, KubeClientError } from './errors.js';

describe('error helpers', () => {
  test('read the status from client-node ApiException, Watch errors and our own errors', () => {
    const api = new ApiException(
      404,
      'Unknown API Status Code!',
      '{"kind":"Status","message":"pods \\"x\\" not found"}',
      {
        'set-cookie': 'secret',
      },
    );
    expect(httpStatusOf(api)).toBe(404);
    expect(isNotFound(api)).toBe(true);
    expect(isConflict(Object.assign(new Error('Conflict'), { statusCode: 409 }))).toBe(true);
    expect(isGone(new KubeClientError('KUBE_REQUEST_FAILED', 'gone', { statusCode: 410 }))).toBe(true);
    expect(httpStatusOf(new Error('ECONNREFUSED'))).toBeUndefined();
  });

  test('describeError keeps the Status message and drops bodies and headers', () => {
    const api = new ApiException(
      404,
      'Unknown API Status Code!',
      '{"kind":"Status","message":"pods \\"x\\" not found"}',
      {
        'set-cookie': 'secret',
      },
    );
    expect(describeError(api)).toBe('HTTP 404: pods "x" not found');
    expect(describeError(new ApiException(500, 'Unknown', 'not json', {}))).toBe('HTTP 500: HTTP-Code: 500');
    expect(describeError(new Error('socket hang up'))).toBe('socket hang up');
  });
});

import { describe, expect, test } from '@jest/globals';
import type { Pod } from '@podid/crd-types';
import { ManualClock } from '../test-support/manual-clock.js';
import {
  ServiceAccountAssertions,
  type ServiceAccountTokenRequest,
  serviceAccountSubject,
  TOKEN_EXCHANGE_AUDIENCE,
} from './service-account-assertions.js';

const pod = (uid: string, serviceAccountName?: string): Pod => ({
  metadata: { name: `p-${uid}`, namespace: 'apps', uid },
  spec: serviceAccountName === undefined ? {} : { serviceAccountName },
});

function scriptedLookup(clock: ManualClock, lifetimeMs = 3600_000) {
  const requests: ServiceAccountTokenRequest[] = [];
  return {
    requests,
    async requestToken(request: ServiceAccountTokenRequest) {
      requests.push(request);
      return { token: `jwt-${requests.length}`, expiresAtMs: clock.now() + lifetimeMs };
    },
  };
}

describe('ServiceAccountAssertions', () => {
  test('asks for a pod-bound exchange token of the pod’s own service account (default when unset)', async () => {
    const clock = new ManualClock();
    const lookup = scriptedLookup(clock);
    const assertions = new ServiceAccountAssertions(lookup, clock);
    await assertions.forPod(pod('u1'));
    await assertions.forPod(pod('u2', 'worker'));
    expect(lookup.requests).toEqual([
      {
        namespace: 'apps',
        serviceAccountName: 'default',
        podName: 'p-u1',
        podUid: 'u1',
        audience: TOKEN_EXCHANGE_AUDIENCE,
        expirationSeconds: 3600,
      },
      expect.objectContaining({ serviceAccountName: 'worker', podUid: 'u2' }),
    ]);
    expect(serviceAccountSubject(pod('u2', 'worker'))).toBe('system:serviceaccount:apps:worker');
  });

  test('reuses a token until 80% of its lifetime is used, then asks again', async () => {
    const clock = new ManualClock();
    const lookup = scriptedLookup(clock);
    const assertions = new ServiceAccountAssertions(lookup, clock);
    expect(await assertions.forPod(pod('u1'))).toBe('jwt-1');
    clock.advance(0.8 * 3600_000 - 1);
    expect(await assertions.forPod(pod('u1'))).toBe('jwt-1');
    clock.advance(1);
    expect(await assertions.forPod(pod('u1'))).toBe('jwt-2');
    // A recreated pod (new uid) never gets the old pod's token.
    expect(await assertions.forPod(pod('u9'))).toBe('jwt-3');
  });

  test('concurrent callers for one pod share one TokenRequest', async () => {
    const clock = new ManualClock();
    const lookup = scriptedLookup(clock);
    const assertions = new ServiceAccountAssertions(lookup, clock);
    const answers = await Promise.all([1, 2, 3].map(() => assertions.forPod(pod('u1'))));
    expect(answers).toEqual(['jwt-1', 'jwt-1', 'jwt-1']);
    expect(lookup.requests).toHaveLength(1);
  });

  test('an API server refusal is token-refused with its message; a transport failure is token-unavailable', async () => {
    const clock = new ManualClock();
    const refusing = new ServiceAccountAssertions(
      {
        requestToken: async () => {
          throw Object.assign(new Error('pods "p-u1" not found'), { statusCode: 404 });
        },
      },
      clock,
    );
    await expect(refusing.forPod(pod('u1'))).rejects.toMatchObject({
      code: 'token-refused',
      message: expect.stringContaining('pods "p-u1" not found'),
    });
    const broken = new ServiceAccountAssertions(
      {
        requestToken: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
      clock,
    );
    await expect(broken.forPod(pod('u1'))).rejects.toMatchObject({ code: 'token-unavailable' });
  });
});

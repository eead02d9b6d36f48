import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { connectTo, rawRequest, startEmulatorWithCrds } from '../test-support/emulator-harness.js';
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE, requestServiceAccountToken } from './service-account-token.js';

function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('requestServiceAccountToken against the kube-emulator', () => {
  let emulator: KubeEmulator;
  let connection: KubeConnection;
  let podUid: string;

  beforeAll(async () => {
    emulator = await startEmulatorWithCrds();
    connection = connectTo(emulator);
    const pod = (await rawRequest(emulator, 'POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker' },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    })) as { metadata: { uid: string } };
    podUid = pod.metadata.uid;
  });
  afterAll(async () => {
    await emulator?.close();
  });

  test('a pod-bound token for the exchange audience, with its expiry', async () => {
    const before = Date.now();
    const answer = await requestServiceAccountToken(connection, {
      namespace: 'default',
      serviceAccountName: 'default',
      audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
      expirationSeconds: 3600,
      boundPod: { name: 'worker', uid: podUid },
    });
    const claims = decodeJwt(answer.token);
    expect(claims.sub).toBe('system:serviceaccount:default:default');
    expect(claims.aud).toEqual([AZURE_AD_TOKEN_EXCHANGE_AUDIENCE]);
    expect(claims['kubernetes.io']).toMatchObject({ pod: { name: 'worker', uid: podUid } });
    expect(answer.expiresAtMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_599_000);
  });

  test('a stale pod uid is KUBE_REQUEST_FAILED with the API server status and message, no token', async () => {
    await expect(
      requestServiceAccountToken(connection, {
        namespace: 'default',
        serviceAccountName: 'default',
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
        expirationSeconds: 3600,
        boundPod: { name: 'worker', uid: '00000000-0000-0000-0000-000000000000' },
      }),
    ).rejects.toMatchObject({
      code: 'KUBE_REQUEST_FAILED',
      statusCode: 409,
      message: expect.stringContaining('the UID in the bound object reference'),
    });
    await expect(
      requestServiceAccountToken(connection, {
        namespace: 'default',
        serviceAccountName: 'default',
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
        expirationSeconds: 3600,
        boundPod: { name: 'gone', uid: podUid },
      }),
    ).rejects.toMatchObject({ statusCode: 404, message: expect.stringContaining('pods "gone" not found') });
  });
});

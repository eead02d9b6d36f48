import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { type KubeEmulator, startKubeEmulator } from './start-emulator.js';
import { kubeConfigFor } from './test-support/kube-client.js';

let emulator: KubeEmulator;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  emulator = await startKubeEmulator({ requireToken: true });
  core = kubeConfigFor(emulator).makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'apps' } } });
  await core.createNode({ body: { metadata: { name: 'node-a' } } });
});
afterAll(async () => {
  await emulator.close();
});

// biome-ignore lint/suspicious/noExplicitAny: Status bodies are read field by field in assertions.
async function failure(fn: () => Promise<unknown>): Promise<{ code: number; body: Record<string, any> }> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof k8s.ApiException) return { code: e.code, body: JSON.parse(e.body as string) };
    throw e;
  }
  throw new Error('expected the call to fail');
}

const AUDIENCE = 'api://AzureADTokenExchange';

function tokenRequest(
  pod?: { name: string; uid?: string },
  expirationSeconds = 3600,
): k8s.AuthenticationV1TokenRequest {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {
      audiences: [AUDIENCE],
      expirationSeconds,
      ...(pod === undefined ? {} : { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', ...pod } }),
    },
  };
}

async function createPod(name: string, serviceAccountName?: string): Promise<k8s.V1Pod> {
  return core.createNamespacedPod({
    namespace: 'apps',
    body: {
      metadata: { name },
      spec: {
        nodeName: 'node-a',
        ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
        containers: [{ name: 'app', image: 'app:1' }],
      },
    },
  });
}

describe('ServiceAccounts', () => {
  test('every namespace gets a default ServiceAccount, new ones included', async () => {
    for (const ns of ['default', 'kube-system', 'apps']) {
      const sa = await core.readNamespacedServiceAccount({ namespace: ns, name: 'default' });
      expect(sa.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('a pod without spec.serviceAccountName runs as default', async () => {
    const pod = await createPod('defaulted');
    expect(pod.spec?.serviceAccountName).toBe('default');
    expect(pod.spec?.serviceAccount).toBe('default');
    const named = await createPod('named', 'default');
    expect(named.spec?.serviceAccountName).toBe('default');
  });
});

describe('TokenRequest and OIDC discovery', () => {
  test('issues an RS256 pod-bound token whose claims and signature check out against the public discovery', async () => {
    const pod = await createPod('bound');
    const sa = await core.readNamespacedServiceAccount({ namespace: 'apps', name: 'default' });
    const node = await core.readNode({ name: 'node-a' });
    const answer = await core.createNamespacedServiceAccountToken({
      namespace: 'apps',
      name: 'default',
      body: tokenRequest({ name: 'bound', uid: pod.metadata!.uid! }),
    });
    expect(answer.kind).toBe('TokenRequest');
    expect(answer.spec?.boundObjectRef?.uid).toBe(pod.metadata!.uid);
    const token = answer.status?.token ?? '';
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: expect.any(String) });

    // Discovery needs no credentials (plain fetch, no Authorization header), while the API itself does.
    expect((await fetch(`${emulator.url}/api/v1/namespaces`)).status).toBe(401);
    const discovery = (await (await fetch(`${emulator.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toEqual({
      issuer: emulator.serviceAccountIssuer,
      jwks_uri: `${emulator.url}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const keys = createRemoteJWKSet(new URL(String(discovery['jwks_uri'])));
    const { payload } = await jwtVerify(token, keys, {
      issuer: emulator.serviceAccountIssuer,
      audience: AUDIENCE,
      algorithms: ['RS256'],
    });
    expect(payload.sub).toBe('system:serviceaccount:apps:default');
    expect(payload.aud).toEqual([AUDIENCE]);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload['kubernetes.io']).toEqual({
      namespace: 'apps',
      pod: { name: 'bound', uid: pod.metadata!.uid },
      serviceaccount: { name: 'default', uid: sa.metadata!.uid },
      node: { name: 'node-a', uid: node.metadata!.uid },
    });
    expect(new Date(answer.status?.expirationTimestamp ?? 0).getTime() / 1000).toBe(payload.exp);
  });

  test('refuses a bound pod that does not exist, or whose uid differs, as the real server does', async () => {
    const missing = await failure(() =>
      core.createNamespacedServiceAccountToken({
        namespace: 'apps',
        name: 'default',
        body: tokenRequest({ name: 'nope' }),
      }),
    );
    expect(missing.code).toBe(404);
    expect(missing.body['message']).toBe('pods "nope" not found');

    await createPod('recreated');
    const stale = await failure(() =>
      core.createNamespacedServiceAccountToken({
        namespace: 'apps',
        name: 'default',
        body: tokenRequest({ name: 'recreated', uid: '00000000-0000-0000-0000-000000000000' }),
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body['message']).toContain('the UID in the bound object reference');
  });

  test('refuses a pod of another service account, a missing service account and expirationSeconds < 600', async () => {
    await core.createNamespacedServiceAccount({ namespace: 'apps', body: { metadata: { name: 'other' } } });
    await createPod('runs-other', 'other');
    const wrongSa = await failure(() =>
      core.createNamespacedServiceAccountToken({
        namespace: 'apps',
        name: 'default',
        body: tokenRequest({ name: 'runs-other' }),
      }),
    );
    expect(wrongSa.code).toBe(400);
    expect(wrongSa.body['message']).toContain('to pod running with different serviceaccount name');

    const noSa = await failure(() =>
      core.createNamespacedServiceAccountToken({ namespace: 'apps', name: 'ghost', body: tokenRequest() }),
    );
    expect(noSa.code).toBe(404);
    expect(noSa.body['message']).toBe('serviceaccounts "ghost" not found');

    const short = await failure(() =>
      core.createNamespacedServiceAccountToken({
        namespace: 'apps',
        name: 'default',
        body: tokenRequest(undefined, 599),
      }),
    );
    expect(short.code).toBe(422);
    expect(short.body['message']).toContain(
      'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    );
  });

  test('an unbound token defaults its audience to the issuer', async () => {
    const answer = await core.createNamespacedServiceAccountToken({
      namespace: 'apps',
      name: 'default',
      body: { spec: { audiences: [] } },
    });
    const keys = createRemoteJWKSet(new URL(`${emulator.url}/openid/v1/jwks`));
    const { payload } = await jwtVerify(answer.status?.token ?? '', keys, { audience: emulator.serviceAccountIssuer });
    expect(payload['kubernetes.io']).toEqual({
      namespace: 'apps',
      serviceaccount: { name: 'default', uid: expect.any(String) },
    });
  });
});

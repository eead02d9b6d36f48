/**
 * NMI flags from upstream's e2e scenarios (spec §7): `--block-instance-metadata` (403 on /metadata/instance) and
 * `--set-retry-after-header` (lookup failures become 503 with Retry-After). No MIC is needed: the pods here have no
 * identity.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RESOURCE, type Sandbox, startE2eSandbox, uniqueName } from './support/e2e-sandbox.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startE2eSandbox({
    mic: false,
    world: { scaleSets: 0, virtualMachines: 1, identities: 1 },
    nmiArgs: ['--block-instance-metadata', '--set-retry-after-header'],
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

describe('NMI options', () => {
  test('/metadata/instance is refused with 403 when --block-instance-metadata is set', async () => {
    const pod = await sandbox.createPod({ name: uniqueName('blocked') });
    const response = await sandbox.requestFromPod(pod, '/metadata/instance?api-version=2021-02-01');
    expect(response.status).toBe(403);
    // IMDS's JSON error shape (--error-format=json, the default), upstream's text as the description.
    expect(JSON.parse(response.body)).toEqual({
      error: 'access_denied',
      error_description: 'Request blocked by AAD Pod Identity NMI',
    });
  });

  test('a pod without an identity is answered 503 with Retry-After: 20 when --set-retry-after-header is set', async () => {
    const name = uniqueName('retry-after');
    const pod = await sandbox.createPod({ name, labels: { aadpodidbinding: name } });
    const response = await sandbox.fetchToken(pod, RESOURCE);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('20');
  });

  test('other IMDS paths still pass through', async () => {
    const pod = await sandbox.createPod({ name: uniqueName('passthrough') });
    expect((await sandbox.requestFromPod(pod, '/doesnotexist')).status).toBe(404);
  });
});

import { afterEach, describe, expect, test } from '@jest/globals';
import type { AzureIdentity } from '@podid/crd-types';
import { exception, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { httpGet } from '../test-support/http-client.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

/**
 * Issue 14: IMDS answers a token request that names no identity with the VM's system-assigned identity. An
 * AzureIdentity of type 0 without a clientID (written Assigned by a MIC that did not validate it, or by hand) must
 * never make NMI send IMDS such a request on a pod's behalf.
 */
const TOKEN = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';

const RESOURCE_ID =
  '/subscriptions/sub/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/no-client';

let harness: NmiHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function withoutClientId(identity: AzureIdentity, clientID: string | undefined): AzureIdentity {
  const { clientID: _dropped, ...spec } = identity.spec;
  return { ...identity, spec: clientID === undefined ? spec : { ...spec, clientID } };
}

describe('an AzureIdentity that names no client ID gives its pod no token, and IMDS hears nothing', () => {
  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])(
    'clientID %s → 404 naming the identity; the system-assigned identity never reaches the pod',
    async (_label, clientID) => {
      const h = await startNmiHarness();
      harness = h;
      h.imds.systemAssigned = true;
      const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2', { labels: { aadpodidbinding: 'app' } }));
      h.cluster.assign(app, withoutClientId(msiIdentity('no-client', 'demo', 'unused'), clientID));

      for (const path of [TOKEN, `${TOKEN}&msi_res_id=${RESOURCE_ID}`]) {
        const answer = await h.get('127.0.0.2', path);
        expect(answer.status).toBe(404);
        expect(answer.body).toContain('azure identity demo/no-client is invalid');
      }
      const host = await httpGet(h.port, '/host/token?resource=https://management.azure.com/', {
        localAddress: '127.0.0.1',
        headers: { podns: 'demo', podname: 'app' },
      });
      expect(host.status).toBe(404);
      expect(h.imds.tokenCalls()).toHaveLength(0);
    },
  );

  test('an exception pod still gets the node identity by its documented path (no client_id → system-assigned)', async () => {
    const h = await startNmiHarness();
    harness = h;
    h.imds.systemAssigned = true;
    h.cluster.addPod(pod('excepted', 'demo', '127.0.0.3', { labels: { app: 'kubelet-plugin' } }));
    h.cluster.exceptions.push(exception('plugin', 'demo', { app: 'kubelet-plugin' }));
    const answer = await h.get('127.0.0.3', TOKEN);
    expect(answer.status).toBe(200);
    expect(h.imds.tokenCalls()).toHaveLength(1);
    expect(h.imds.tokenCalls()[0]?.clientId).toBeNull();
  });
});

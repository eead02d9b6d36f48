import { afterEach, describe, expect, test } from '@jest/globals';
import { binding, exception, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { httpGet, errorText } from '../test-support/http-client.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

const TOKEN = '/metadata/identity/oauth2/token';
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
const CLIENT_B = 'bbbbbbbb-1111-2222-3333-444444444444';

let harness: NmiHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<NmiHarness> {
  harness = await startNmiHarness(options);
  harness.imds.assigned.add(CLIENT_A);
  harness.imds.assigned.add(CLIENT_B);
  return harness;
}

describe('exceptions and the MIC short-circuit (§3.8)', () => {
  test('row 62: an excepted pod gets a token straight from IMDS; an exception elsewhere has no effect', async () => {
    const h = await start({ retryAttemptsForCreated: 1 });
    h.cluster.addPod(pod('dns', 'kube-system', '127.0.0.3', { labels: { app: 'CoreDNS' } }));
    h.cluster.addPod(pod('web', 'other', '127.0.0.4', { labels: { app: 'coredns' } }));
    h.cluster.exceptions.push(exception('dns', 'kube-system', { app: 'coredns' }));

    const system = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(system.status).toBe(200);
    expect(JSON.parse(system.body).access_token).toMatch(/^imds\.system\./);
    const named = await h.get('127.0.0.3', `${TOKEN}?resource=x&client_id=${CLIENT_B}`);
    expect(JSON.parse(named.body).client_id).toBe(CLIENT_B);

    const notExcepted = await h.get('127.0.0.4', `${TOKEN}?resource=x`);
    expect(notExcepted.status).toBe(404);
  });

  test('excepted pod: any IMDS failure is a 403 "failed to get service principal token"', async () => {
    const h = await start();
    h.imds.systemAssigned = false;
    h.cluster.addPod(pod('dns', 'kube-system', '127.0.0.3', { labels: { app: 'coredns' } }));
    h.cluster.exceptions.push(exception('dns', 'kube-system', { app: 'coredns' }));
    const answer = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(403);
    expect(errorText(answer)).toMatch(/^failed to get service principal token, error: .*Identity not found/);
  });

  test('row 63: a pod in --MICNamespace owned by ReplicaSet mic-xxxx bypasses validation', async () => {
    const h = await start({ micNamespace: 'Kube-System', retryAttemptsForCreated: 1 });
    h.cluster.addPod(pod('mic-1', 'kube-system', '127.0.0.5', { replicaSet: 'mic-7d9f' }));
    h.cluster.addPod(pod('other', 'kube-system', '127.0.0.6', { replicaSet: 'nginx-7d9f' }));
    h.cluster.addPod(pod('mic-2', 'default', '127.0.0.7', { replicaSet: 'mic-7d9f' }));
    expect((await h.get('127.0.0.5', `${TOKEN}?resource=x`)).status).toBe(200);
    expect((await h.get('127.0.0.6', `${TOKEN}?resource=x`)).status).toBe(404);
    expect((await h.get('127.0.0.7', `${TOKEN}?resource=x`)).status).toBe(404);
  });
});

describe('host token route (§3.6)', () => {
  test('row 66: /host/token/ from 127.0.0.1 with podname/podns → {token, clientid}; missing headers 400; non-host 500', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
    const ok = await httpGet(h.port, '/host/token/?resource=https%3A%2F%2Fvault.azure.net', {
      localAddress: '127.0.0.1',
      headers: { podname: 'app', podns: 'demo' },
    });
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body);
    expect(body.clientid).toBe(CLIENT_A);
    expect(body.token.resource).toBe('https://vault.azure.net');
    expect(body.token.access_token).toMatch(new RegExp(`^imds\\.${CLIENT_A}\\.`));

    const missing = await httpGet(h.port, '/host/token/?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podns: 'demo' },
    });
    expect(missing.status).toBe(400);
    expect(errorText(missing)).toBe("missing 'podname' and 'podns' from request header");

    const remote = await httpGet(h.port, '/host/token/?resource=x', {
      localAddress: '127.0.0.2',
      headers: { podname: 'app', podns: 'demo' },
    });
    expect(remote.status).toBe(500);
    expect(errorText(remote)).toBe('request remote address is not from a host');

    const noResource = await httpGet(h.port, '/host/token/', {
      localAddress: '127.0.0.1',
      headers: { podname: 'app', podns: 'demo' },
    });
    expect(noResource.status).toBe(400);
  });

  test('host route lookup failure is 404 even with --set-retry-after-header', async () => {
    const h = await start({ setRetryAfterHeader: true, retryAttemptsForCreated: 1 });
    const answer = await httpGet(h.port, '/host/token?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podname: 'ghost', podns: 'demo' },
    });
    expect(answer.status).toBe(404);
    expect(answer.headers['retry-after']).toBeUndefined();
  });
});

describe('isolation', () => {
  async function twoPods(options: HarnessOptions = {}) {
    const h = await start({ retryAttemptsForCreated: 1, ...options });
    const podA = h.cluster.addPod(pod('a', 'team-a', '127.0.0.2'));
    const podB = h.cluster.addPod(pod('b', 'team-b', '127.0.0.3'));
    const identityA = msiIdentity('id-a', 'team-a', CLIENT_A);
    const identityB = msiIdentity('id-b', 'team-b', CLIENT_B);
    h.cluster.assign(podA, identityA);
    h.cluster.assign(podB, identityB);
    return { h, identityB };
  }

  test.each([false, true])(
    'pod bound to A asking for B by client_id or msi_res_id → 404 (B cached: %s)',
    async (cached) => {
      const { h, identityB } = await twoPods();
      if (cached) {
        expect((await h.get('127.0.0.3', `${TOKEN}?resource=x`)).status).toBe(200);
        expect(h.nmi.tokenCache?.size).toBe(1);
      }
      const byClient = await h.get('127.0.0.2', `${TOKEN}?resource=x&client_id=${CLIENT_B}`);
      expect(byClient.status).toBe(404);
      const byResource = await h.get(
        '127.0.0.2',
        `${TOKEN}?resource=x&msi_res_id=${encodeURIComponent(identityB.spec.resourceID ?? '')}`,
      );
      expect(byResource.status).toBe(404);
      expect(byClient.body).not.toContain('imds.');
      expect(h.imds.tokenCalls().filter((call) => call.clientId === CLIENT_B)).toHaveLength(cached ? 1 : 0);
    },
  );

  test('namespaced mode refuses an identity from another namespace (redacted ID in the message)', async () => {
    const h = await start({ forceNamespaced: true });
    const app = h.cluster.addPod(pod('app', 'team-a', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('id-b', 'team-b', CLIENT_B));
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x&client_id=${CLIENT_B}`);
    expect(answer.status).toBe(404);
    expect(errorText(answer)).toBe('no azure identity found for request clientID bbbb##### REDACTED #####4444');
  });

  test('Q9: namespaced filter emptying the list without client_id → 404, not 500', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'team-a', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('id-b', 'team-b', CLIENT_B, { 'aadpodidentity.k8s.io/Behavior': 'namespaced' }));
    const answer = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(answer.status).toBe(404);
    expect(errorText(answer)).toMatch(/^no azure identity found/);
  });

  test('the namespaced annotation alone restricts an identity; without it, other namespaces may use it', async () => {
    const h = await start();
    const app = h.cluster.addPod(pod('app', 'team-a', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('shared', 'team-b', CLIENT_B));
    expect((await h.get('127.0.0.2', `${TOKEN}?resource=x`)).status).toBe(200);
  });
});

describe('managed mode (§3.9)', () => {
  test('row 67: token served from bindings without any AzureAssignedIdentity; exact selector; same namespace', async () => {
    const h = await start({ managedMode: true });
    h.cluster.addPod(pod('app', 'team-a', '127.0.0.2', { labels: { aadpodidbinding: 'web' } }));
    h.cluster.addPod(pod('caps', 'team-a', '127.0.0.3', { labels: { aadpodidbinding: 'Web' } }));
    h.cluster.addPod(pod('other', 'team-b', '127.0.0.4', { labels: { aadpodidbinding: 'web' } }));
    h.cluster.identities.push(msiIdentity('id-a', 'team-a', CLIENT_A));
    h.cluster.bindings.push(binding('web-binding', 'team-a', 'id-a', 'web'));
    // A binding in team-b naming an identity that only exists in team-a gives nothing.
    h.cluster.bindings.push(binding('web-binding', 'team-b', 'id-a', 'web'));

    const ok = await h.get('127.0.0.2', `${TOKEN}?resource=x`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).client_id).toBe(CLIENT_A);
    expect(h.clock.sleeps).toEqual([]);
    expect(h.cluster.assigned).toHaveLength(0);

    const wrongCase = await h.get('127.0.0.3', `${TOKEN}?resource=x`);
    expect(wrongCase.status).toBe(404);
    const crossNamespace = await h.get('127.0.0.4', `${TOKEN}?resource=x&client_id=${CLIENT_A}`);
    expect(crossNamespace.status).toBe(404);
    expect(errorText(crossNamespace)).toMatch(/^no azure identity found for request clientID aaaa#/);
  });

  test('managed mode host route finds the pod by name', async () => {
    const h = await start({ managedMode: true });
    h.cluster.addPod(pod('app', 'team-a', '127.0.0.2', { labels: { aadpodidbinding: 'web' } }));
    h.cluster.identities.push(msiIdentity('id-a', 'team-a', CLIENT_A));
    h.cluster.bindings.push(binding('web-binding', 'team-a', 'id-a', 'web'));
    const ok = await httpGet(h.port, '/host/token?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podns: 'team-a', podname: 'app' },
    });
    expect(JSON.parse(ok.body).clientid).toBe(CLIENT_A);
    const ghost = await httpGet(h.port, '/host/token?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podns: 'team-a', podname: 'ghost' },
    });
    expect(ghost.status).toBe(404);
  });
});

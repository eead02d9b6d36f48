import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { errorText, httpGet } from '../test-support/http-client.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
/** Sent by the test client; if IMDS ever sees it, NMI proxied the request. */
const PROBE = { Metadata: 'true', 'X-Probe': 'from-pod' };

let h: NmiHarness;
beforeAll(async () => {
  h = await startNmiHarness();
  const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
  h.imds.assigned.add(CLIENT_A);
});
afterAll(async () => {
  await h.close();
});

function proxiedCount(): number {
  return h.imds.calls.filter((call) => call.headers['x-probe'] === 'from-pod').length;
}

describe('routes (§3.2)', () => {
  test('row 47: /Metadata/identity/oauth2/token is the token route', async () => {
    const answer = await h.get('127.0.0.2', '/Metadata/identity/oauth2/token?resource=x', PROBE);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).client_id).toBe(CLIENT_A);
  });

  test('row 47 (deliberate change): /metadata/Identity/oauth2/token is refused, never proxied', async () => {
    const before = proxiedCount();
    const answer = await h.get('127.0.0.2', '/metadata/Identity/oauth2/token?resource=x', PROBE);
    expect(answer.status).toBe(400);
    expect(errorText(answer)).toBe('Invalid request');
    expect(proxiedCount()).toBe(before);
  });

  test('row 48: trailing slash on the token route, and /host/token', async () => {
    const slash = await h.get('127.0.0.2', '/metadata/identity/oauth2/token/?resource=x', PROBE);
    expect(slash.status).toBe(200);
    const host = await httpGet(h.port, '/host/token?resource=x', {
      localAddress: '127.0.0.1',
      headers: { podns: 'demo', podname: 'app' },
    });
    expect(host.status).toBe(200);
  });

  test('row 49: /metadata/identity\\oauth2\\token/ → 400 Invalid request', async () => {
    const answer = await h.get('127.0.0.2', '/metadata/identity\\oauth2\\token/', PROBE);
    expect(answer.status).toBe(400);
    expect(errorText(answer)).toBe('Invalid request');
  });

  test('row 64: --block-instance-metadata off → /metadata/instance proxied', async () => {
    const answer = await h.get('127.0.0.2', '/metadata/instance?api-version=2021-02-01', PROBE);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-fake-imds']).toBe('instance');
  });

  test('row 65: unknown path with Metadata header → IMDS status, headers and body passed through', async () => {
    const answer = await h.get('127.0.0.2', '/doesnotexist?x=1', PROBE);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('no such IMDS path /doesnotexist');
    expect(answer.headers['x-fake-imds']).toBe('not-found');
    const last = h.imds.calls.at(-1);
    expect(last?.headers['x-probe']).toBe('from-pod');
    expect(last?.headers['metadata']).toBe('true');
  });

  test('row 50 on the proxy route: no Metadata header → 400 JSON, nothing proxied', async () => {
    const before = proxiedCount();
    const answer = await h.get('127.0.0.2', '/metadata/instance', { 'X-Probe': 'from-pod' });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toBe('invalid_request');
    expect(proxiedCount()).toBe(before);
  });
});

describe('path normalisation (CVE-2022-23551): token look-alikes are served or refused, never proxied', () => {
  const served = [
    '/metadata/identity/oauth2/token',
    '/metadata/identity/oauth2/token/',
    '/METADATA/identity/oauth2/token',
    '/MetaData/identity/oauth2/token/',
  ];
  const refused = [
    '/metadata/identity\\oauth2\\token',
    '/metadata/identity\\oauth2\\token/',
    '/metadata\\identity\\oauth2\\token',
    '/metadata/identity%5Coauth2%5Ctoken',
    '/metadata/identity%5coauth2%5ctoken/',
    '/metadata%2Fidentity%2Foauth2%2Ftoken',
    '/metadata/identity%2foauth2/token',
    '/metadata/identity/oauth2%2Ftoken',
    '//metadata/identity/oauth2/token',
    '/metadata//identity/oauth2/token',
    '/metadata/identity//oauth2//token',
    '/metadata/identity/oauth2/token//',
    '/./metadata/identity/oauth2/token',
    '/metadata/./identity/oauth2/token',
    '/metadata/identity/./oauth2/token',
    '/metadata/x/../identity/oauth2/token',
    '/x/../metadata/identity/oauth2/token',
    '/../metadata/identity/oauth2/token',
    '/metadata/identity/oauth2/token/.',
    '/metadata/identity/oauth2/foo/../token',
    '/metadata/Identity/oauth2/token',
    '/metadata/identity/OAuth2/token',
    '/metadata/identity/oauth2/TOKEN',
    '/metadata/identity/oauth2/Token/',
    '/metadata/identity/oauth2/token///',
    '/metadata/identity/oauth2/tokenXYZ',
    '/metadata/identity/oauth2/token/extra',
    '/metadata/identity/oauth2/token;x',
    '/%6detadata/identity/oauth2/token',
    '/metadata/identity/oauth2/t%6Fken',
    '/metadata/identity%252Foauth2%252Ftoken',
    '/metadata/identity%255Coauth2%255Ctoken',
    '/metadata/%2E/identity/oauth2/token',
    '/metadata/%2e%2e/metadata/identity/oauth2/token',
    '/foo/metadata/identity/bar/oauth2/baz/token',
    '/metadata/identity/oauth2/token%00',
    '/metadata/identity/oauth2/token%20',
  ];

  test.each(served)('%s → token route', async (path) => {
    const before = proxiedCount();
    const answer = await h.get('127.0.0.2', `${path}?resource=x`, PROBE);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).client_id).toBe(CLIENT_A);
    expect(proxiedCount()).toBe(before);
  });

  test.each(refused)('%s → 400 Invalid request', async (path) => {
    const before = proxiedCount();
    const answer = await h.get('127.0.0.2', `${path}?resource=x`, PROBE);
    expect(answer.status).toBe(400);
    expect(errorText(answer)).toBe('Invalid request');
    expect(proxiedCount()).toBe(before);
  });
});

test('a request target starting with a backslash is rejected by the HTTP parser itself (400), not proxied', async () => {
  const before = proxiedCount();
  const answer = await h.get('127.0.0.2', '\\metadata\\identity\\oauth2\\token?resource=x', PROBE);
  expect(answer.status).toBe(400);
  expect(proxiedCount()).toBe(before);
});

describe('instance metadata blocking and the allow-list', () => {
  test('row 64: --block-instance-metadata → 403 without a Metadata check; other spellings refused, never proxied', async () => {
    const blocked = await startNmiHarness({ blockInstanceMetadata: true });
    try {
      for (const path of [
        '/metadata/instance',
        '/Metadata/instance/compute',
        '/metadata/INSTANCE/',
        '/metadata/instancex',
      ]) {
        const answer = await blocked.get('127.0.0.2', path, {});
        expect(answer.status).toBe(403);
        expect(errorText(answer)).toBe('Request blocked by AAD Pod Identity NMI');
      }
      for (const path of [
        '//metadata/./instance',
        '/metadata%2Finstance',
        '/metadata//../instance',
        '/metadata/instance//..',
        '/metadata/x/../instance',
        '/metadata/%69nstance',
      ]) {
        const answer = await blocked.get('127.0.0.2', path, PROBE);
        expect(answer.status).toBe(400);
        expect(errorText(answer)).toBe('Invalid request');
      }
      expect(blocked.imds.calls).toHaveLength(0);
    } finally {
      await blocked.close();
    }
  });

  test('allowedMetadataPaths: listed paths pass as sent, others get 403, other spellings 400', async () => {
    const filtered = await startNmiHarness({ allowedMetadataPaths: ['/metadata/instance/compute'] });
    try {
      const allowed = await filtered.get('127.0.0.2', '/metadata/instance/Compute/tagsList?api-version=1', PROBE);
      expect(allowed.status).toBe(404);
      expect(filtered.imds.calls.at(-1)?.path).toBe('/metadata/instance/Compute/tagsList');
      for (const path of ['/metadata/instance', '/metadata/instance/network', '/metadata/instance/computex', '/']) {
        const answer = await filtered.get('127.0.0.2', path, PROBE);
        expect(answer.status).toBe(403);
      }
      for (const path of [
        '/metadata//instance/compute',
        '/metadata/instance/compute/%2e%2e/%2e%2e/identity/oauth2/token',
        '/metadata/instance/x/%252525252e%252525252e/%252525252e%252525252e/identity/oauth2/token',
        '/metadata/instance/compute/..',
      ]) {
        const answer = await filtered.get('127.0.0.2', path, PROBE);
        expect(answer.status).toBe(400);
      }
      expect(filtered.imds.calls).toHaveLength(1);
    } finally {
      await filtered.close();
    }
  });
});

describe('issue 15 item 14: edge parsing as upstream’s Go server', () => {
  function getWithHeaderLines(path: string, metadataLines: string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: h.port,
          path,
          headers: { Metadata: metadataLines },
          localAddress: '127.0.0.2',
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  test('two Metadata lines: the first decides, as Go’s Header.Get', async () => {
    expect(await getWithHeaderLines('/metadata/identity/oauth2/token?resource=x', ['true', 'false'])).toBe(200);
    expect(await getWithHeaderLines('/metadata/identity/oauth2/token?resource=x', ['false', 'true'])).toBe(400);
    expect(await getWithHeaderLines('/metadata/instance', ['true', 'true'])).toBe(200);
  });

  test('/host/tokenfoo reaches the host-token handler (a plain prefix, as upstream), never IMDS', async () => {
    const before = proxiedCount();
    const answer = await h.get('127.0.0.2', '/host/tokenfoo?resource=x', PROBE);
    expect(answer.status).toBe(400);
    expect(errorText(answer)).toBe("missing 'podname' and 'podns' from request header");
    expect(proxiedCount()).toBe(before);
  });

  test('resource=https://vault.azure.net;x is no resource (400), not a token for an odd resource', async () => {
    const answer = await h.get(
      '127.0.0.2',
      '/metadata/identity/oauth2/token?resource=https://vault.azure.net;x',
      PROBE,
    );
    expect(answer.status).toBe(400);
    expect(errorText(answer)).toBe('parameter resource cannot be empty');
  });
});

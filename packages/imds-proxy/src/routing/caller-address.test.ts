import { afterEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNmiServer } from '../server/nmi-server.js';
import { FakeCluster, msiIdentity, pod } from '../test-support/fake-cluster.js';
import { startFakeImds } from '../test-support/fake-imds.js';
import { canonicalCallerIp } from './caller-address.js';

describe('canonicalCallerIp (Q12)', () => {
  test.each([
    ['10.0.0.5', '10.0.0.5'],
    ['::ffff:10.0.0.5', '10.0.0.5'],
    ['::FFFF:a00:5', '10.0.0.5'],
    ['::1', '::1'],
    ['fd00:0:0:0:0:0:0:5', 'fd00::5'],
    ['FD00::5', 'fd00::5'],
    ['fe80::1%eth0', 'fe80::1'],
    ['not-an-ip', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (input, expected) => {
    expect(canonicalCallerIp(input)).toBe(expected);
  });
});

describe('IPv6 callers over real sockets', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test('a pod with an IPv6 address (listener on ::1) gets its token; IPv4-mapped peers on a dual-stack listener too', async () => {
    const cluster = new FakeCluster();
    const imds = await startFakeImds();
    closers.push(() => imds.close());
    const client = 'aaaaaaaa-1111-2222-3333-444444444444';
    imds.assigned.add(client);
    const v6 = cluster.addPod(pod('v6', 'demo', '0:0:0:0:0:0:0:1'));
    const v4 = cluster.addPod(pod('v4', 'demo', '127.0.0.2'));
    for (const p of [v6, v4]) cluster.assign(p, msiIdentity('id', 'demo', client));
    const nmi = createNmiServer({
      pods: cluster.podLookup,
      exceptions: cluster.exceptionLookup,
      identities: cluster.standard,
      secrets: cluster.secretLookup,
      imdsBaseUrl: imds.baseUrl,
      podLookupAttempts: 1,
    });
    closers.push(() => nmi.close());
    // Pod IPs are compared in canonical form, so a non-canonical IP in the Pod object still matches.
    cluster.podLookup.podsByIp = (ip) => cluster.pods.filter((p) => canonicalCallerIp(p.status?.podIP) === ip);
    const { port } = await nmi.listen(0, '::');
    const ask = (host: string, localAddress: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(
            {
              host,
              port,
              localAddress,
              path: '/metadata/identity/oauth2/token?resource=x',
              headers: { Metadata: 'true' },
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          )
          .on('error', reject);
      });
    expect(await ask('::1', '::1')).toBe(200);
    expect(await ask('127.0.0.1', '127.0.0.2')).toBe(200);
    expect((nmi.server.address() as AddressInfo).family).toBe('IPv6');
  });
});

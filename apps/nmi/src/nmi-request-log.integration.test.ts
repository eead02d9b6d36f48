import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';

/**
 * Issue 15 item 5: NMI writes its log asynchronously (batched), so the lines of the last requests must still all be
 * written when a SIGTERM ends the process right after them.
 */
const REQUESTS = 2000;
let cluster: EmulatedCluster;
let nmi: NmiChild | undefined;

beforeAll(async () => {
  requireBuiltNmi();
  cluster = await startEmulatedCluster();
}, 60_000);

afterAll(async () => {
  await nmi?.stop('SIGKILL');
  await cluster?.close();
});

/** A token request without the Metadata header: answered at once with 400, and logged. */
function unheaded(port: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/metadata/identity/oauth2/token?resource=x', agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

describe('NMI request log', () => {
  test(`${REQUESTS} requests then SIGTERM at once: ${REQUESTS} request lines`, async () => {
    nmi = spawnNmi(
      [
        `--node=${NODE_NAME}`,
        '--nmi-port=0',
        '--http-probe-port=0',
        '--prometheus-port=0',
        '--manage-iptables=false',
        `--imds-endpoint=${cluster.imdsUrl}`,
        `--kubelet-config=${cluster.kubeletConfigPath}`,
        '--termination-wait=0s',
        '--log-format=json',
      ],
      { env: { ...process.env, KUBECONFIG: cluster.kube.kubeconfigPath, NODE_EXTRA_CA_CERTS: cluster.caPath } },
    );
    const listening = await nmi.waitForLog(/^token server listening$/);
    const port = Number(listening['port']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < REQUESTS) statuses.push(await unheaded(port, agent));
      }),
    );
    agent.destroy();
    const exit = await nmi.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(statuses.filter((status) => status === 400)).toHaveLength(REQUESTS);
    const requestLines = nmi.logs.filter((record) =>
      /^status \(400\) took \d+ ns for req\.method=GET/.test(record.msg),
    );
    expect(requestLines).toHaveLength(REQUESTS);
    expect(nmi.logs.at(-1)?.msg).toBe('NMI stopped');
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type EmulatedCluster, NODE_NAME, startEmulatedCluster } from './test-support/emulated-cluster.js';
import { eventually, httpGet } from './test-support/http-get.js';
import { type NmiChild, requireBuiltNmi, spawnNmi } from './test-support/nmi-process.js';

const RESOURCE = 'https://vault.azure.net';
const WEB_IP = '127.0.0.21';
const BATCH_IP = '127.0.0.22';
const SP_IP = '127.0.0.23';
const BROKEN_SP_IP = '127.0.0.24';
const ORPHAN_IP = '127.0.0.25';

let cluster: EmulatedCluster;
let nmi: NmiChild;
let tokenBase: string;
let probeUrl: string;
let metricsUrl: string;

function tokenUrl(query: Record<string, string> = {}): string {
  return `${tokenBase}/metadata/identity/oauth2/token?${new URLSearchParams({ resource: RESOURCE, ...query })}`;
}

function getToken(sourceAddress: string, query: Record<string, string> = {}) {
  return httpGet(tokenUrl(query), { sourceAddress, headers: { Metadata: 'true' } });
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  requireBuiltNmi();
  cluster = await startEmulatedCluster();
  await cluster.createNamespace('apps');
  await cluster.createPod('apps', 'web-1', WEB_IP, 'web');
  await cluster.createPod('apps', 'batch-1', BATCH_IP, 'batch');
  await cluster.createPod('apps', 'reporter-1', SP_IP, 'reporter');
  await cluster.createPod('apps', 'broken-1', BROKEN_SP_IP, 'broken');
  await cluster.createPod('apps', 'orphan-1', ORPHAN_IP, 'orphan');
  // Bindings select web and batch (MIC could still assign them something); none selects `orphan`.
  await cluster.createBinding('apps', 'web-binding', 'web-identity', 'web');
  await cluster.createBinding('apps', 'batch-binding', 'web-identity', 'batch');
  // Pod lists fail until the test lets them through, so the probe can be seen answering `Not Active` first.
  cluster.kube.admin.failNextRequests({ count: 100_000, status: 500, verb: 'list', resource: 'pods' });
  nmi = spawnNmi(
    [
      `--node=${NODE_NAME}`,
      '--nmi-listen-address=127.0.0.1',
      '--nmi-port=0',
      '--http-probe-port=0',
      '--prometheus-port=0',
      '--manage-iptables=false',
      `--imds-endpoint=${cluster.imdsUrl}`,
      `--kubelet-config=${cluster.kubeletConfigPath}`,
      '--retry-attempts-for-created=1',
      '--retry-attempts-for-assigned=1',
      '--find-identity-retry-interval=0',
      '--termination-wait=0s',
      '--log-format=json',
    ],
    { env: { ...process.env, KUBECONFIG: cluster.kube.kubeconfigPath, NODE_EXTRA_CA_CERTS: cluster.caPath } },
  );
  const servers = await nmi.waitForLog(/^probe and metrics servers listening$/);
  probeUrl = `http://127.0.0.1:${String(servers['probePort'])}/healthz`;
  metricsUrl = `http://127.0.0.1:${String(servers['metricsPort'])}/metrics`;
}, 60_000);

afterAll(async () => {
  await nmi?.stop('SIGKILL');
  await cluster?.close();
});

/** The upstream text NMI puts in its IMDS-shaped JSON error body (`--error-format=json`, the default). */
function description(answer: { body: string }): string {
  return String((JSON.parse(answer.body) as Record<string, unknown>)['error_description']);
}

describe('NMI as a child process, standard mode', () => {
  test('/healthz answers Not Active until the caches synced, then Active (row 69)', async () => {
    expect((await httpGet(probeUrl)).body).toBe('Not Active');
    cluster.kube.admin.clearFaults();
    const listening = await nmi.waitForLog(/^token server listening$/);
    tokenBase = `http://127.0.0.1:${String(listening['port'])}`;
    await nmi.waitForLog(/^NMI is active$/);
    expect(await httpGet(probeUrl)).toMatchObject({ status: 200, body: 'Active' });
  }, 30_000);

  test('no AzureAssignedIdentity for the pod → 404 with upstream’s text (row 54)', async () => {
    const answer = await getToken(WEB_IP);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(description(answer)).toMatch(
      /^getting assigned identities for pod apps\/web-1 in CREATED state failed after 1 attempts/,
    );
  });

  test('a label that no binding selects → the final 404 at once, naming the selector (issue 15 item 4)', async () => {
    const answer = await getToken(ORPHAN_IP);
    expect(answer.status).toBe(404);
    expect(description(answer)).toBe(
      'getting assigned identities for pod apps/orphan-1 failed: no AzureIdentityBinding has selector "orphan" (the pod\'s aadpodidbinding label). No identity will be assigned until that changes',
    );
  });

  test('an identity still in Created → 404 (lookup gives up on the ASSIGNED wait)', async () => {
    await cluster.assign('apps', 'web-1', cluster.identities[0], 'Created');
    const answer = await eventually(async () => {
      const candidate = await getToken(WEB_IP);
      return /in ASSIGNED state failed/.test(candidate.body) ? candidate : undefined;
    }, 'NMI to see the Created AzureAssignedIdentity');
    expect(answer.status).toBe(404);
  });

  test('Assigned in Kubernetes but not yet on the VM → IMDS refuses, NMI answers 403 (row 59)', async () => {
    await cluster.setAssignedState('apps', 'web-1', cluster.identities[0], 'Assigned');
    const answer = await eventually(async () => {
      const candidate = await getToken(WEB_IP);
      return candidate.status === 404 ? undefined : candidate;
    }, 'NMI to see the Assigned state');
    expect(answer.status).toBe(403);
    expect(description(answer)).toMatch(/Identity not found/);
  });

  test('Assigned and on the VM → the pod gets a token for its identity (row 46)', async () => {
    await cluster.assignToVm(cluster.identities[0]);
    const answer = await getToken(WEB_IP);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining([
        'access_token',
        'expires_in',
        'expires_on',
        'not_before',
        'refresh_token',
        'resource',
        'token_type',
      ]),
    );
    for (const value of Object.values(body)) expect(typeof value).toBe('string');
    expect(body['resource']).toBe(RESOURCE);
    const claims = jwtClaims(String(body['access_token']));
    expect(claims['appid']).toBe(cluster.identities[0].clientId);
    expect(claims['aud']).toBe(RESOURCE);
  });

  test('a client_id that is not the pod’s identity → 404; its own client_id → 200 (row 56)', async () => {
    const other = await getToken(WEB_IP, { client_id: cluster.identities[1].clientId });
    expect(other.status).toBe(404);
    // Upstream's standard lookup only counts assignments with the requested client ID, so it ends in the retry text.
    expect(description(other)).toMatch(
      /^clientID in request: [^,]+, getting assigned identities for pod apps\/web-1 in CREATED state failed/,
    );
    const own = await getToken(WEB_IP, { client_id: cluster.identities[0].clientId });
    expect(own.status).toBe(200);
  });

  test('another pod on the node gets nothing from web’s identity, nor from another node’s assignment (row 68)', async () => {
    // Assigned for batch-1 but labelled for another node: NMI watches only `nodename=node-1`.
    await cluster.assign('apps', 'batch-1', cluster.identities[0], 'Assigned', 'node-2');
    const answer = await getToken(BATCH_IP);
    expect(answer.status).toBe(404);
    expect(description(answer)).toMatch(/pod apps\/batch-1 in CREATED state failed/);
  });

  test('a service-principal identity: secret read from the API server, token from AAD over HTTPS (row 4)', async () => {
    await cluster.assignServicePrincipal('apps', 'reporter-1', 'reporter-sp', 'reporter-sp-secret');
    const answer = await eventually(async () => {
      const candidate = await getToken(SP_IP);
      return candidate.status === 404 ? undefined : candidate;
    }, 'NMI to see the service-principal assignment');
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(jwtClaims(String(body['access_token']))).toMatchObject({
      appid: cluster.servicePrincipal.clientId,
      aud: RESOURCE,
    });
  });

  test('a service principal whose secret does not exist → 503 naming the secret, in the API server’s words', async () => {
    await cluster.assignServicePrincipal('apps', 'broken-1', 'broken-sp', 'no-such-secret', false);
    // Another resource than the previous test: the token cache holds the working principal's token for RESOURCE.
    const answer = await eventually(async () => {
      const candidate = await getToken(BROKEN_SP_IP, { resource: 'https://management.azure.com/' });
      return candidate.status === 404 ? undefined : candidate;
    }, 'NMI to see the broken assignment');
    expect(answer.status).toBe(503);
    expect(description(answer)).toBe(
      'failed to get Kubernetes secret apps/no-such-secret, err: secrets "no-such-secret" not found',
    );
  });

  test('/metrics exposes the NMI families with bounded operation_type values (row 70)', async () => {
    // Another spelling of the token path: upstream would have minted a series labelled with it.
    const odd = await httpGet(`${tokenBase}/Metadata/identity/oauth2/token/?resource=${RESOURCE}`, {
      sourceAddress: WEB_IP,
      headers: { Metadata: 'true' },
    });
    expect(odd.status).toBe(200);
    const text = (await httpGet(metricsUrl)).body;
    expect(text).toContain('# TYPE aadpodidentity_nmi_operations_duration_seconds histogram');
    expect(text).toContain('# TYPE aadpodidentity_imds_operations_duration_seconds histogram');
    expect(text).toContain('# TYPE aadpodidentity_kubernetes_api_operations_errors_count counter');
    expect(text).toMatch(
      /aadpodidentity_nmi_operations_duration_seconds_count\{operation_type="\/metadata\/identity\/oauth2\/token",status_code="200",namespace="apps",resource="https:\/\/vault.azure.net"\} [1-9]/,
    );
    expect(text).toMatch(/aadpodidentity_nmi_operations_duration_seconds_count\{[^}]*status_code="404"/);
    expect(text).toMatch(
      /aadpodidentity_imds_operations_duration_seconds_count\{operation_type="adal_token_msi_userassignedid"\} [1-9]/,
    );
    expect(text).not.toContain('operation_type="/Metadata');
    expect(text).not.toContain('token/"');
  });

  test('one log line per token request, client IDs redacted, no token anywhere (row 71)', async () => {
    const before = nmi.logs.length;
    const answer = await getToken(WEB_IP);
    const token = String((JSON.parse(answer.body) as Record<string, unknown>)['access_token']);
    const line = await eventually(
      async () => nmi.logs.slice(before).find((record) => record.msg.startsWith('status (')),
      'a request log line',
    );
    expect(line.msg).toMatch(
      /^status \(200\) took \d+ ns for req\.method=GET reg\.path=\/metadata\/identity\/oauth2\/token req\.remote=127\.0\.0\.21$/,
    );
    expect(line).toMatchObject({ podNamespace: 'apps', podName: 'web-1', status: 200 });
    expect(line['clientID']).toMatch(/^\S{4}##### REDACTED #####\S{4}$/);
    const everything = JSON.stringify(nmi.logs) + nmi.otherStderr() + nmi.stdout();
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(cluster.identities[0].clientId);
    expect(everything).not.toContain(cluster.servicePrincipal.secret);
  });

  test('SIGTERM: the termination line, then exit 0 (row 43, without iptables)', async () => {
    const result = await nmi.stop('SIGTERM');
    expect(result).toEqual({ code: 0, signal: null });
    expect(nmi.logs.map((record) => record.msg)).toContain('handled termination, awaiting pod deletion');
  });
});

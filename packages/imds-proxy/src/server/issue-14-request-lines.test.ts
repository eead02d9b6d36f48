import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type HarnessOptions, type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';
import { type RawAnswer, sendRawRequests } from '../test-support/raw-http-pool.js';

/**
 * Issue 14's request lines, each as raw bytes on a socket (curl --path-as-is): every one must get a 400 (or a
 * failed, pod-checked token-route answer) and the emulated IMDS must receive nothing from it. The fake IMDS has
 * the VM's system-assigned identity on and knows another pod's client ID, so any bypass is a 200 with a token.
 */

const UNBOUND_CALLER = '127.0.1.9';
const NO_BINDING_POD_IP = '127.0.0.3';
const BOUND_POD_IP = '127.0.0.2';
/** Another pod's identity: a bypass with `client_id=` of it would hand that identity out. */
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';

const QUERIES = [
  '?api-version=2018-02-01&resource=https://management.azure.com/',
  `?api-version=2018-02-01&resource=https://management.azure.com/&client_id=${CLIENT_A}`,
];

/** The token-path spellings from issue 14's Why section. */
const TOKEN_LINES = [
  '/metadata/identity//../oauth2/token',
  '/metadata/identity/oauth2//../token',
  '/metadata/identity/oauth2/token//..',
  '/metadata/identity/a%2f../../oauth2/token',
  '/metadata/identity/a%5c../../oauth2/token',
  '/metadata/identity/oauth2/token/a%2f../..',
  '/metadata/identity/oauth2/token/%252e%252e/%2e%2e',
];
const TOKEN_CASES = TOKEN_LINES.flatMap((line) => QUERIES.map((query) => `${line}${query}`));

/** `--block-instance-metadata` spellings that reached the instance document. */
const BLOCK_INSTANCE_LINES = ['/metadata//../instance', '/metadata/instance//..'];

/** With `--allowed-metadata-paths`: 5 rounds of encoding passed the list as `instance` and reached the token path. */
const ALLOW_LIST_BYPASS =
  '/metadata/instance/x/%252525252e%252525252e/%252525252e%252525252e/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';

/** Decoded into a control character and forwarded, these made `http.request` throw inside the handler. */
const CRASH_INPUTS = [
  '/metadata/instance/%20',
  '/metadata/instance/%09',
  '/metadata/instance/%00',
  '/metadata/instance/%0a',
];

async function startHarness(options: HarnessOptions = {}): Promise<NmiHarness> {
  const h = await startNmiHarness(options);
  h.imds.systemAssigned = true;
  h.imds.assigned.add(CLIENT_A);
  const app = h.cluster.addPod(pod('app', 'demo', BOUND_POD_IP));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
  h.cluster.addPod(pod('lonely', 'demo', NO_BINDING_POD_IP)); // a pod, but no binding and no identity
  return h;
}

async function sendRaw(h: NmiHarness, from: string, target: string): Promise<RawAnswer> {
  const [answer] = await sendRawRequests({ port: h.port, localAddresses: [from], connections: 1 }, [{ target }]);
  return answer!;
}

/** Sends the target and expects a refusal or a failed token-route answer, with nothing reaching IMDS. */
async function expectRefusedAndNotForwarded(h: NmiHarness, from: string, target: string): Promise<RawAnswer> {
  const callsBefore = h.imds.calls.length;
  const issuedBefore = h.imds.issued.length;
  const answer = await sendRaw(h, from, target);
  // What IMDS received because of this request: must be nothing.
  expect(h.imds.calls.slice(callsBefore).map((call) => call.rawTarget)).toEqual([]);
  expect(h.imds.issued.length - issuedBefore).toBe(0);
  expect(answer.body).not.toContain('access_token');
  expect(answer.status).toBeGreaterThanOrEqual(400);
  return answer;
}

async function expectHealthy(h: NmiHarness): Promise<void> {
  const answer = await h.get(BOUND_POD_IP, '/metadata/identity/oauth2/token?resource=https://management.azure.com/');
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body).client_id).toBe(CLIENT_A);
}

describe('issue 14 token-path request lines, default options', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test.each(TOKEN_CASES)('from an address with no pod: %s → refused, IMDS receives nothing', async (target) => {
    await expectRefusedAndNotForwarded(h, UNBOUND_CALLER, target);
  });

  test.each(TOKEN_CASES)('from a pod with no binding: %s → no token, IMDS receives nothing', async (target) => {
    await expectRefusedAndNotForwarded(h, NO_BINDING_POD_IP, target);
  });

  test('the plain token path still serves the bound pod (the refusals above are not a broken server)', async () => {
    await expectHealthy(h);
  });
});

describe('issue 14 --block-instance-metadata spellings', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startHarness({ blockInstanceMetadata: true });
  });
  afterAll(async () => {
    await h.close();
  });

  test.each(BLOCK_INSTANCE_LINES)('%s is blocked, IMDS receives nothing', async (line) => {
    await expectRefusedAndNotForwarded(h, NO_BINDING_POD_IP, `${line}?api-version=2021-02-01`);
    await expectRefusedAndNotForwarded(h, UNBOUND_CALLER, line);
  });
});

describe('issue 14 with allowedMetadataPaths ["/metadata/instance"]', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startHarness({ allowedMetadataPaths: ['/metadata/instance'] });
  });
  afterAll(async () => {
    await h.close();
  });

  test('a 5-times-encoded climb out of the allow-list to the token path is refused, IMDS receives nothing', async () => {
    await expectRefusedAndNotForwarded(h, UNBOUND_CALLER, ALLOW_LIST_BYPASS);
    await expectRefusedAndNotForwarded(h, NO_BINDING_POD_IP, ALLOW_LIST_BYPASS);
  });

  test.each(CRASH_INPUTS)('%s is answered, forwards no control character, and NMI keeps serving', async (target) => {
    const callsBefore = h.imds.calls.length;
    const answer = await sendRaw(h, NO_BINDING_POD_IP, target);
    expect(answer.status).toBeGreaterThanOrEqual(100); // an HTTP answer: not a hang, not a dropped connection
    for (const call of h.imds.calls.slice(callsBefore)) expect(call.rawTarget).toMatch(/^[\x21-\x7e]+$/);
    await expectHealthy(h);
    const plain = await h.get(NO_BINDING_POD_IP, '/metadata/instance?api-version=2021-02-01');
    expect(plain.status).toBe(200);
  });
});

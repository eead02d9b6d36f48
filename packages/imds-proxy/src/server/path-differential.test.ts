import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type NmiHarness, type HarnessOptions, startNmiHarness } from '../test-support/nmi-harness.js';
import {
  CORPUS_ID_HEADER,
  type DifferentialMode,
  describeViolations,
  judgeDifferential,
  readTargetOnce,
  sensitiveReadings,
} from '../test-support/path-differential.js';
import { sendRawRequests } from '../test-support/raw-http-pool.js';
import { generateTargetCorpus } from '../test-support/target-corpus.js';

/**
 * Issue 14, "a differential test that cannot be fooled by one parser": 100,000 generated request targets sent as
 * raw bytes to the real NMI server from an address with no pod. Whenever any reference parser reads a target as
 * the token endpoint (or, per mode, outside the allow-list / as the instance document), NMI must refuse it or
 * answer it through the token route, and the fake IMDS must receive nothing for it; whatever IMDS does receive must
 * read as harmless to every parser. The fake IMDS issues the VM's system-assigned token to anyone who reaches its
 * token path, so a bypass shows up as a 200 with a token.
 */

const SEED = 0x14_c0ffee;
const FULL_CORPUS_SIZE = 100_000;
const corpus = generateTargetCorpus({ seed: SEED, count: FULL_CORPUS_SIZE });

/** Addresses with no pod behind them: every token-route answer for them must fail the pod lookup. */
const UNBOUND_CALLERS = ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4'];
const BOUND_POD_IP = '127.0.0.2';
const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';
const ALLOW_LIST = ['/metadata/instance'];

async function startBoundHarness(options: HarnessOptions): Promise<NmiHarness> {
  const h = await startNmiHarness(options);
  h.imds.systemAssigned = true; // a bypass to IMDS's token path is then a 200 with the node's token
  const app = h.cluster.addPod(pod('app', 'demo', BOUND_POD_IP));
  h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
  h.imds.assigned.add(CLIENT_A);
  return h;
}

async function runDifferential(h: NmiHarness, targets: readonly string[], mode: DifferentialMode): Promise<string> {
  const answers = await sendRawRequests(
    { port: h.port, localAddresses: UNBOUND_CALLERS, connections: 16 },
    targets.map((target, id) => ({ target, headers: { [CORPUS_ID_HEADER]: String(id) } })),
  );
  const violations = judgeDifferential(targets, answers, h.imds.calls, mode);
  const issued = h.imds.issued.length;
  const report = describeViolations(violations);
  return issued > 0 ? `IMDS issued ${issued} token(s) during the run\n${report}` : report;
}

/** NMI is still up and serves a bound pod its token. */
async function expectHealthy(h: NmiHarness): Promise<void> {
  const answer = await h.get(BOUND_POD_IP, '/metadata/identity/oauth2/token?resource=https://management.azure.com/');
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body).client_id).toBe(CLIENT_A);
}

test('the corpus is large, deterministic and mostly near the token and instance paths', () => {
  expect(corpus.length).toBe(FULL_CORPUS_SIZE);
  expect(generateTargetCorpus({ seed: SEED, count: 50 })).toEqual(corpus.slice(0, 50));
  const near = corpus.filter((target) => {
    const readings = readTargetOnce(target);
    return readings.token.length > 0 || readings.instance.length > 0;
  }).length;
  // A large share must be read as sensitive by at least one parser, or the corpus tests little.
  expect(near / corpus.length).toBeGreaterThan(0.4);
});

describe('differential over real sockets, default options', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startBoundHarness({});
  });
  afterAll(async () => {
    await h.close();
  });

  test(`${FULL_CORPUS_SIZE} targets: nothing any parser reads as the token path reaches IMDS`, async () => {
    const started = Date.now();
    const report = await runDifferential(h, corpus, {});
    process.stdout.write(`path differential (default): ${corpus.length} targets in ${Date.now() - started} ms\n`);
    expect(report).toBe('');
    await expectHealthy(h);
  }, 180_000);
});

/**
 * The variants re-use a slice of the corpus (every sensitive kind is spread evenly through it) to keep the
 * whole file within about a minute on a loaded 2-core machine.
 */
const VARIANT_SIZE = 20_000;

describe(`differential with allowedMetadataPaths ${JSON.stringify(ALLOW_LIST)}`, () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startBoundHarness({ allowedMetadataPaths: ALLOW_LIST });
  });
  afterAll(async () => {
    await h.close();
  });

  test(`${VARIANT_SIZE} targets: nothing any parser reads outside the allow-list reaches IMDS`, async () => {
    const targets = corpus.slice(0, VARIANT_SIZE);
    expect(
      targets.filter((target) => sensitiveReadings(readTargetOnce(target), { allowList: ALLOW_LIST }).length > 0)
        .length,
    ).toBeGreaterThan(VARIANT_SIZE / 3);
    const report = await runDifferential(h, targets, { allowList: ALLOW_LIST });
    expect(report).toBe('');
    await expectHealthy(h);
  }, 180_000);
});

describe('differential with blockInstanceMetadata', () => {
  let h: NmiHarness;
  beforeAll(async () => {
    h = await startBoundHarness({ blockInstanceMetadata: true });
  });
  afterAll(async () => {
    await h.close();
  });

  test(`${VARIANT_SIZE} targets: nothing any parser reads as the instance document or the token path reaches IMDS`, async () => {
    const targets = corpus.slice(VARIANT_SIZE, 2 * VARIANT_SIZE);
    const report = await runDifferential(h, targets, { blockInstance: true });
    expect(report).toBe('');
    await expectHealthy(h);
  }, 180_000);
});

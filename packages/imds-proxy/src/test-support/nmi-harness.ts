import type { Clock } from '../lookup/lookups.js';
import type { RequestLogEntry } from '../observability.js';
import type { NmiServerOptions } from '../server/nmi-server-options.js';
import { type NmiServer, createNmiServer } from '../server/nmi-server.js';
import { FakeCluster } from './fake-cluster.js';
import { type FakeImds, startFakeImds } from './fake-imds.js';
import { type HttpAnswer, METADATA, httpGet } from './http-client.js';
import { ManualClock } from './manual-clock.js';

export interface NmiHarness {
  readonly nmi: NmiServer;
  readonly port: number;
  readonly imds: FakeImds;
  readonly cluster: FakeCluster;
  readonly clock: ManualClock;
  readonly logs: RequestLogEntry[];
  /** GET from a pod address with `Metadata: true` unless headers are given. */
  get(from: string, path: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<NmiServerOptions, 'clock'>> & { realClock?: boolean; managedMode?: boolean };

/**
 * NMI on an ephemeral port, backed by a FakeCluster and a fake IMDS, with a manual clock (retries cost no time)
 * unless `realClock` is set. IMDS retries are off by default so failure tests answer at once.
 */
export async function startNmiHarness(options: HarnessOptions = {}): Promise<NmiHarness> {
  const cluster = new FakeCluster();
  const imds = await startFakeImds();
  const clock = new ManualClock(Date.now());
  imds.now = () => clock.now();
  const logs: RequestLogEntry[] = [];
  const { realClock, managedMode, ...overrides } = options;
  const nmi = createNmiServer({
    pods: cluster.podLookup,
    exceptions: cluster.exceptionLookup,
    identities: managedMode ? cluster.managed : cluster.standard,
    secrets: cluster.secretLookup,
    imdsBaseUrl: imds.baseUrl,
    imdsMaxAttempts: 1,
    onRequest: (entry) => logs.push(entry),
    ...overrides,
    ...(realClock ? {} : { clock: clock as Clock }),
  });
  const { port } = await nmi.listen(0, '127.0.0.1');
  return {
    nmi,
    port,
    imds,
    cluster,
    clock,
    logs,
    get: (from, path, headers = METADATA) => httpGet(port, path, { localAddress: from, headers }),
    close: async () => {
      await nmi.close();
      await imds.close();
    },
  };
}

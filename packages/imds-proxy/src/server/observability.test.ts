import { afterEach, describe, expect, test } from '@jest/globals';
import type { NmiMetrics, NmiOperationLabels, TokenCacheEvent } from '../observability.js';
import { msiIdentity, pod } from '../test-support/fake-cluster.js';
import { type NmiHarness, startNmiHarness } from '../test-support/nmi-harness.js';

const CLIENT_A = 'aaaaaaaa-1111-2222-3333-444444444444';

class RecordingMetrics implements NmiMetrics {
  readonly operations: NmiOperationLabels[] = [];
  readonly imds: string[] = [];
  readonly imdsErrors: string[] = [];
  readonly kubeErrors: string[] = [];
  readonly cache: TokenCacheEvent[] = [];
  nmiOperation(labels: NmiOperationLabels): void {
    this.operations.push(labels);
  }
  imdsOperation(operationType: string): void {
    this.imds.push(operationType);
  }
  imdsOperationError(operationType: string): void {
    this.imdsErrors.push(operationType);
  }
  kubernetesApiOperationError(operationType: string): void {
    this.kubeErrors.push(operationType);
  }
  tokenCache(event: TokenCacheEvent): void {
    this.cache.push(event);
  }
}

let harness: NmiHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('metrics hooks and request log', () => {
  test('upstream metric names and labels; logs carry no token and a redacted client ID', async () => {
    const metrics = new RecordingMetrics();
    const h = await startNmiHarness({ metrics, retryAttemptsForCreated: 1 });
    harness = h;
    const app = h.cluster.addPod(pod('app', 'demo', '127.0.0.2'));
    h.cluster.assign(app, msiIdentity('id-a', 'demo', CLIENT_A));
    h.imds.assigned.add(CLIENT_A);

    const ok = await h.get('127.0.0.2', '/metadata/identity/oauth2/token/?resource=https%3A%2F%2Fvault.azure.net');
    await h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=https%3A%2F%2Fvault.azure.net');
    await h.get('127.0.0.9', '/metadata/identity/oauth2/token?resource=x');
    h.imds.assigned.clear();
    await h.get('127.0.0.2', '/metadata/identity/oauth2/token?resource=other');

    expect(metrics.operations[0]).toEqual({
      operationType: '/metadata/identity/oauth2/token',
      statusCode: '200',
      namespace: 'demo',
      resource: 'https://vault.azure.net',
    });
    expect(metrics.operations.map((o) => o.statusCode)).toEqual(['200', '200', '500', '403']);
    expect(metrics.kubeErrors).toEqual([
      'get_pod_list',
      'get_pod_list',
      'get_pod_list',
      'get_pod_list',
      'get_pod_list',
    ]);
    expect(metrics.imds).toEqual(['adal_token_msi_userassignedid', 'adal_token_msi_userassignedid']);
    expect(metrics.imdsErrors).toEqual(['adal_token_msi_userassignedid']);
    expect(metrics.cache).toEqual(['miss', 'hit']);

    const accessToken = JSON.parse(ok.body).access_token as string;
    const logText = JSON.stringify(h.logs);
    expect(logText).not.toContain(accessToken);
    expect(logText).not.toContain(CLIENT_A);
    expect(h.logs[0]).toMatchObject({
      route: '/metadata/identity/oauth2/token',
      path: '/metadata/identity/oauth2/token/',
      remote: '127.0.0.2',
      status: 200,
      podNamespace: 'demo',
      podName: 'app',
      identity: 'demo/id-a',
      clientId: 'aaaa##### REDACTED #####4444',
      cache: 'miss',
    });
    expect(h.logs[2]).toMatchObject({ status: 500, errorCode: 'pod-not-found', message: 'pod list is empty' });
  });
});

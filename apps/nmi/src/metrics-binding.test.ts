import { describe, expect, test } from '@jest/globals';
import { createPodIdentityMetrics } from '@podid/observability';
import { bindNmiMetrics } from './metrics-binding.js';

async function values(metricName: string) {
  const metrics = createPodIdentityMetrics();
  return { metrics, read: async () => (await metrics.registry.getSingleMetric(metricName)?.get())?.values ?? [] };
}

describe('bindNmiMetrics', () => {
  test('nmi operations land in nmi_operations_duration_seconds with upstream’s label names', async () => {
    const { metrics, read } = await values('aadpodidentity_nmi_operations_duration_seconds');
    bindNmiMetrics(metrics).nmiOperation(
      {
        operationType: '/metadata/identity/oauth2/token',
        statusCode: '200',
        namespace: 'apps',
        resource: 'https://vault.azure.net',
      },
      0.25,
    );
    const count = (await read()).find((value) =>
      String((value as { metricName?: string }).metricName).endsWith('_count'),
    );
    expect(count).toMatchObject({
      value: 1,
      labels: {
        operation_type: '/metadata/identity/oauth2/token',
        status_code: '200',
        namespace: 'apps',
        resource: 'https://vault.azure.net',
      },
    });
  });

  test('operation_type never carries a raw path, and caller-chosen resources are capped', async () => {
    const { metrics, read } = await values('aadpodidentity_nmi_operations_duration_seconds');
    const bound = bindNmiMetrics(metrics, { maxResourceValues: 3 });
    for (let index = 0; index < 50; index++) {
      bound.nmiOperation(
        {
          operationType: `/metadata/identity/oauth2/token${index}`,
          statusCode: '404',
          namespace: 'apps',
          resource: `r${index}`,
        },
        0.1,
      );
    }
    const labels = (await read())
      .filter((value) => String((value as { metricName?: string }).metricName).endsWith('_count'))
      .map((value) => value.labels);
    expect(new Set(labels.map((label) => label['operation_type']))).toEqual(new Set(['other']));
    expect(new Set(labels.map((label) => label['resource']))).toEqual(new Set(['r0', 'r1', 'r2', 'other']));
  });

  test('imds and kubernetes hooks feed their families', async () => {
    const metrics = createPodIdentityMetrics();
    const bound = bindNmiMetrics(metrics);
    bound.imdsOperation('adal_token_msi_userassignedid', 0.05);
    bound.imdsOperationError('adal_token');
    bound.kubernetesApiOperationError('get_pod_list');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /aadpodidentity_imds_operations_duration_seconds_count\{operation_type="adal_token_msi_userassignedid"\} 1/,
    );
    expect(text).toMatch(/aadpodidentity_imds_operations_errors_count\{operation_type="adal_token"\} 1/);
    expect(text).toMatch(/aadpodidentity_kubernetes_api_operations_errors_count\{operation_type="get_pod_list"\} 1/);
  });
});

import type { NmiMetrics } from '@podid/imds-proxy';
import type { PodIdentityMetrics } from '@podid/observability';

/** The only `operation_type` values NMI records (spec §5.2); anything else is folded into `other`. */
const KNOWN_OPERATIONS = new Set(['/metadata/identity/oauth2/token', '/host/token']);
const OTHER_OPERATION = 'other';

/** Distinct `resource` label values kept before new ones are folded into `other`. */
export const MAX_RESOURCE_LABEL_VALUES = 100;

/**
 * Keeps a label's distinct values bounded: the first `limit` values seen are recorded as they are, later new ones
 * become `other`. Callers choose `resource` freely, so without this one pod could grow the registry without end.
 */
class BoundedLabelValues {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  value(candidate: string): string {
    if (this.seen.has(candidate)) return candidate;
    if (this.seen.size >= this.limit) return OTHER_OPERATION;
    this.seen.add(candidate);
    return candidate;
  }
}

/**
 * Connects imds-proxy's metric hooks to the upstream-named prom-client families. Upstream labelled
 * `nmi_operations_duration_seconds` with the raw URL path, so odd paths (`/metadata/identity/oauth2/tokenXYZ`)
 * minted new series without bound; podid records the route instead, and caps the caller-chosen `resource` values.
 */
export function bindNmiMetrics(
  metrics: PodIdentityMetrics,
  options: { readonly maxResourceValues?: number } = {},
): NmiMetrics {
  const resources = new BoundedLabelValues(options.maxResourceValues ?? MAX_RESOURCE_LABEL_VALUES);
  return {
    nmiOperation(labels, seconds) {
      metrics.nmiOperationsDuration.observe(
        {
          operation_type: KNOWN_OPERATIONS.has(labels.operationType) ? labels.operationType : OTHER_OPERATION,
          status_code: labels.statusCode,
          namespace: labels.namespace,
          resource: resources.value(labels.resource),
        },
        seconds,
      );
    },
    imdsOperation(operationType, seconds) {
      metrics.imdsOperationsDuration.observe({ operation_type: operationType }, seconds);
    },
    imdsOperationError(operationType) {
      metrics.imdsOperationsErrors.inc({ operation_type: operationType });
    },
    kubernetesApiOperationError(operationType) {
      metrics.kubernetesApiOperationsErrors.inc({ operation_type: operationType });
    },
  };
}

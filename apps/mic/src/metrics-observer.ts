import type { ArmCallEvent } from '@podid/arm-assigner';
import { redactSecretText } from '@podid/crd-types';
import type { Logger, PodIdentityMetrics } from '@podid/observability';
import type { ControllerObserver } from './controller.js';
import type { KubeWriteKind } from './plan-executor.js';

const WRITE_METRICS = {
  addition: {
    operation: 'assigned_identity_addition',
    duration: 'assignedIdentityAdditionDuration',
    count: 'assignedIdentityAdditionCount',
  },
  update: {
    operation: 'assigned_identity_update',
    duration: 'assignedIdentityUpdateDuration',
    count: 'assignedIdentityUpdateCount',
  },
  deletion: {
    operation: 'assigned_identity_deletion',
    duration: 'assignedIdentityDeletionDuration',
    count: 'assignedIdentityDeletionCount',
  },
} as const;

/** Binds the controller's measurements to upstream's metric families (spec §5.2) and its log lines to pino. */
export function controllerObserver(metrics: PodIdentityMetrics, logger: Logger): ControllerObserver {
  return {
    kubeWrite(kind: KubeWriteKind, seconds: number, ok: boolean) {
      if (kind === 'status') {
        if (!ok) metrics.kubernetesApiOperationsErrors.inc({ operation_type: 'update_azure_assigned_identity_status' });
        return;
      }
      const names = WRITE_METRICS[kind];
      if (!ok) {
        metrics.kubernetesApiOperationsErrors.inc({ operation_type: names.operation });
        return;
      }
      metrics[names.duration].observe(seconds);
      metrics[names.count].inc();
    },
    armUpdate(target, seconds, ok, patchCount) {
      logger.debug({ target: `${target.kind}/${target.name}`, seconds, ok, patchCount }, 'identity update on ARM');
    },
    cycle(seconds, workDone) {
      metrics.micCycleCount.inc();
      metrics.micCycleDuration.observe(seconds);
      if (workDone) logger.debug({ seconds }, 'sync cycle did work');
    },
    log(level, message, fields = {}) {
      // ARM's and the API server's error texts arrive here as strings: redact what they may echo back.
      const redacted: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields)) {
        redacted[key] = typeof value === 'string' ? redactSecretText(value) : value;
      }
      logger[level](redacted, redactSecretText(message));
    },
  };
}

/** `cloud_provider_operations_*` from the assigner's per-call events; the MSI lookup has no upstream family. */
export function recordArmCall(metrics: PodIdentityMetrics, event: ArmCallEvent): void {
  if (event.operation === 'identity_get') return;
  const labels = { operation_type: event.operation };
  if (event.errorCode !== undefined) metrics.cloudProviderOperationsErrors.inc(labels);
  else metrics.cloudProviderOperationsDuration.observe(labels, event.durationMs / 1000);
}

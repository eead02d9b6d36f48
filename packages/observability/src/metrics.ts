import { Counter, Histogram, Registry } from 'prom-client';

/** Upstream's buckets (spec §5.2), in seconds. */
const SHORT_OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4, 5, 10];
const LONG_OPERATION_BUCKETS = [0.5, 1, 5, 10, 30, 60, 120, 300, 600, 900, 1200];
const NMI_OPERATION_BUCKETS = [0.5, 1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100];

const PREFIX = 'aadpodidentity_';

export type CloudProviderOperation = 'vm_get' | 'vm_update' | 'vmss_get' | 'vmss_update';
export type KubernetesApiOperation =
  | 'assigned_identity_addition'
  | 'assigned_identity_deletion'
  | 'assigned_identity_update'
  | 'update_azure_assigned_identity_status'
  | 'get_pod_list'
  | 'get_secret';
export type ImdsOperation = 'adal_token_msi' | 'adal_token_msi_userassignedid' | 'adal_token';

/** The 15 `aadpodidentity_*` metric families of upstream v1.8.17 (spec §5.2), same names, kinds, labels, buckets. */
export interface PodIdentityMetrics {
  readonly registry: Registry;
  readonly assignedIdentityAdditionDuration: Histogram;
  readonly assignedIdentityAdditionCount: Counter;
  readonly assignedIdentityDeletionDuration: Histogram;
  readonly assignedIdentityDeletionCount: Counter;
  readonly assignedIdentityUpdateDuration: Histogram;
  readonly assignedIdentityUpdateCount: Counter;
  readonly nmiOperationsDuration: Histogram<'operation_type' | 'status_code' | 'namespace' | 'resource'>;
  readonly micCycleDuration: Histogram;
  readonly micCycleCount: Counter;
  readonly micNewLeaderElectionCount: Counter;
  readonly cloudProviderOperationsErrors: Counter<'operation_type'>;
  readonly cloudProviderOperationsDuration: Histogram<'operation_type'>;
  readonly kubernetesApiOperationsErrors: Counter<'operation_type'>;
  readonly imdsOperationsErrors: Counter<'operation_type'>;
  readonly imdsOperationsDuration: Histogram<'operation_type'>;
}

/** Registers every family in a registry of its own (default: a new one), so tests and processes never collide. */
export function createPodIdentityMetrics(registry: Registry = new Registry()): PodIdentityMetrics {
  const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: L[] = []) =>
    new Histogram<L>({ name: PREFIX + name, help, buckets, labelNames, registers: [registry] });
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [registry] });
  return {
    registry,
    assignedIdentityAdditionDuration: histogram(
      'assigned_identity_addition_duration_seconds',
      'Time taken to create an AzureAssignedIdentity',
      SHORT_OPERATION_BUCKETS,
    ),
    assignedIdentityAdditionCount: counter(
      'assigned_identity_addition_count',
      'Number of AzureAssignedIdentities created',
    ),
    assignedIdentityDeletionDuration: histogram(
      'assigned_identity_deletion_duration_seconds',
      'Time taken to delete an AzureAssignedIdentity',
      SHORT_OPERATION_BUCKETS,
    ),
    assignedIdentityDeletionCount: counter(
      'assigned_identity_deletion_count',
      'Number of AzureAssignedIdentities deleted',
    ),
    assignedIdentityUpdateDuration: histogram(
      'assigned_identity_update_duration_seconds',
      'Time taken to update an AzureAssignedIdentity',
      SHORT_OPERATION_BUCKETS,
    ),
    assignedIdentityUpdateCount: counter('assigned_identity_update_count', 'Number of AzureAssignedIdentities updated'),
    nmiOperationsDuration: histogram(
      'nmi_operations_duration_seconds',
      'Time taken by NMI to answer a request',
      NMI_OPERATION_BUCKETS,
      ['operation_type', 'status_code', 'namespace', 'resource'],
    ),
    micCycleDuration: histogram('mic_cycle_duration_seconds', 'Duration of a MIC sync cycle', LONG_OPERATION_BUCKETS),
    micCycleCount: counter('mic_cycle_count', 'Number of MIC sync cycles'),
    micNewLeaderElectionCount: counter('mic_new_leader_election_count', 'Number of MIC leader elections started'),
    cloudProviderOperationsErrors: counter(
      'cloud_provider_operations_errors_count',
      'Number of failed ARM operations',
      ['operation_type'],
    ),
    cloudProviderOperationsDuration: histogram(
      'cloud_provider_operations_duration_seconds',
      'Duration of ARM operations',
      LONG_OPERATION_BUCKETS,
      ['operation_type'],
    ),
    kubernetesApiOperationsErrors: counter(
      'kubernetes_api_operations_errors_count',
      'Number of failed Kubernetes API operations',
      ['operation_type'],
    ),
    imdsOperationsErrors: counter('imds_operations_errors_count', 'Number of failed token requests', [
      'operation_type',
    ]),
    imdsOperationsDuration: histogram(
      'imds_operations_duration_seconds',
      'Duration of token requests to IMDS or AAD',
      SHORT_OPERATION_BUCKETS,
      ['operation_type'],
    ),
  };
}

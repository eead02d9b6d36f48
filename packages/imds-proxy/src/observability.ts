/**
 * Hooks the app binds to prom-client and pino. Names mirror upstream's metrics (§5.2, prefix
 * `aadpodidentity_` added by the app); this package never imports a metrics or logging library.
 */
export type ImdsOperationType = 'adal_token_msi' | 'adal_token_msi_userassignedid' | 'adal_token';
export type KubernetesOperationType = 'get_pod_list' | 'get_secret';
export type TokenCacheEvent = 'hit' | 'miss' | 'joined' | 'bypass' | 'refresh_error';

export interface NmiOperationLabels {
  /** The route (`/metadata/identity/oauth2/token` or `/host/token`), not the raw path: bounded cardinality. */
  readonly operationType: string;
  readonly statusCode: string;
  readonly namespace: string;
  readonly resource: string;
}

export interface NmiMetrics {
  /** `nmi_operations_duration_seconds` (token and host-token routes). */
  nmiOperation(labels: NmiOperationLabels, seconds: number): void;
  /** `imds_operations_duration_seconds`: every upstream token call, successful or not. */
  imdsOperation(operationType: ImdsOperationType, seconds: number): void;
  /** `imds_operations_errors_count`. */
  imdsOperationError(operationType: ImdsOperationType): void;
  /** `kubernetes_api_operations_errors_count`. */
  kubernetesApiOperationError(operationType: KubernetesOperationType): void;
  /** podid addition: token cache outcomes (no upstream equivalent). */
  tokenCache?(event: TokenCacheEvent): void;
}

/** One line per token/host-token request. Never holds a token or secret; client IDs are redacted (§2.14). */
export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly remote: string;
  readonly status: number;
  readonly durationMs: number;
  readonly podNamespace?: string;
  readonly podName?: string;
  readonly identity?: string;
  readonly clientId?: string;
  readonly cache?: TokenCacheEvent;
  readonly errorCode?: string;
  readonly message?: string;
}

export type RequestLogger = (entry: RequestLogEntry) => void;

export { type CreateLoggerOptions, createLogger, formatKlogLine, type LogFormat, type Logger } from './logger.js';
export {
  type CloudProviderOperation,
  createPodIdentityMetrics,
  type ImdsOperation,
  type KubernetesApiOperation,
  type PodIdentityMetrics,
} from './metrics.js';
export { type RunningServer, startHealthServer, startMetricsServer } from './probe-server.js';
export { redactClientId, SECRET_LOG_PATHS } from './redact.js';

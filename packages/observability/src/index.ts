export { type BuildInfo, formatVersionLine, readBuildInfo } from './build-info.js';
export {
  type CreateLoggerOptions,
  createLogger,
  flushLogger,
  formatKlogLine,
  type LogFormat,
  type Logger,
  logLine,
} from './logger.js';
export {
  type CloudProviderOperation,
  createPodIdentityMetrics,
  type ImdsOperation,
  type KubernetesApiOperation,
  type PodIdentityMetrics,
} from './metrics.js';
export { isLogFormat, loggingFlags, profilingFlags } from './logging-flags.js';
export { type RunningServer, startHealthServer, startMetricsServer } from './probe-server.js';
export { REDACTED, redactSecrets, SECRET_LOG_KEYS } from './redact.js';
// One redaction rule for the whole project (spec §2.14); re-exported here for logging call sites.
export { redactClientId } from '@podid/crd-types';

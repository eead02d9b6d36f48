import type { RequestLogEntry, RequestLogger } from '@podid/imds-proxy';
import { type Logger, redactClientId } from '@podid/observability';

/**
 * One line per token and host-token request. The message keeps upstream's text (sic `reg.path`, spec §3.5) so
 * existing log searches match; the fields carry the pod, identity and outcome. Client IDs are redacted here again
 * (redaction is idempotent) so a caller that forgot cannot leak one; tokens never reach this function.
 */
export function createRequestLogger(logger: Logger): RequestLogger {
  return (entry: RequestLogEntry) => {
    const nanoseconds = Math.round(entry.durationMs * 1e6);
    const fields = {
      status: entry.status,
      route: entry.route,
      durationMs: Number(entry.durationMs.toFixed(3)),
      ...(entry.podNamespace !== undefined ? { podNamespace: entry.podNamespace } : {}),
      ...(entry.podName !== undefined ? { podName: entry.podName } : {}),
      ...(entry.identity !== undefined ? { identity: entry.identity } : {}),
      ...(entry.clientId !== undefined ? { clientID: redactClientId(entry.clientId) } : {}),
      ...(entry.cache !== undefined ? { cache: entry.cache } : {}),
      ...(entry.errorCode !== undefined ? { errorCode: entry.errorCode } : {}),
      ...(entry.message !== undefined ? { error: entry.message } : {}),
    };
    const message =
      `status (${entry.status}) took ${nanoseconds} ns for req.method=${entry.method} ` +
      `reg.path=${entry.path} req.remote=${entry.remote}`;
    if (entry.status >= 500) logger.error(fields, message);
    else if (entry.status >= 400) logger.warn(fields, message);
    else logger.info(fields, message);
  };
}

import { boundedMemo, type RequestLogEntry, type RequestLogger } from '@podid/imds-proxy';
import { type Logger, logLine, redactClientId } from '@podid/observability';

/**
 * One line per token and host-token request. The message keeps upstream's text (sic `reg.path`, spec §3.5) so
 * existing log searches match; the fields carry the pod, identity and outcome. Client IDs are redacted here again
 * (redaction is idempotent) so a caller that forgot cannot leak one; tokens never reach this function.
 * This runs on every answer, so it builds one plain object and renders through `logLine` (no JSON round trip for
 * text logs).
 */
export function createRequestLogger(logger: Logger): RequestLogger {
  // The same few (already redacted) client IDs on every line: redact each once.
  const redactOnce = boundedMemo(redactClientId, { capacity: 512, maxInputLength: 128 });
  return (entry: RequestLogEntry) => {
    const nanoseconds = Math.round(entry.durationMs * 1e6);
    const fields: Record<string, unknown> = {
      status: entry.status,
      route: entry.route,
      durationMs: Math.round(entry.durationMs * 1000) / 1000,
    };
    if (entry.podNamespace !== undefined) fields['podNamespace'] = entry.podNamespace;
    if (entry.podName !== undefined) fields['podName'] = entry.podName;
    if (entry.identity !== undefined) fields['identity'] = entry.identity;
    if (entry.clientId !== undefined) fields['clientID'] = redactOnce(entry.clientId);
    if (entry.cache !== undefined) fields['cache'] = entry.cache;
    if (entry.errorCode !== undefined) fields['errorCode'] = entry.errorCode;
    if (entry.message !== undefined) fields['error'] = entry.message;
    const message =
      `status (${entry.status}) took ${nanoseconds} ns for req.method=${entry.method} ` +
      `reg.path=${entry.path} req.remote=${entry.remote}`;
    logLine(logger, entry.status >= 500 ? 'error' : entry.status >= 400 ? 'warn' : 'info', fields, message);
  };
}

/**
 * Secrets inside free text: what Azure (ARM, AAD, IMDS) sends back in error bodies, and what libraries put in error
 * messages, is logged and shown to callers. Key-based redaction of logged objects never sees inside such a string,
 * so every external text goes through this before it is logged or answered. Pure and cheap: texts with none of the
 * markers below are returned as they are.
 */
export const REDACTED_TEXT = '[REDACTED]';

/** Names whose values are secrets, in query strings, form bodies, JSON and `name: value` headers. */
const SECRET_NAMES = [
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'client_assertion',
  'assertion',
  'password',
  'aadClientSecret',
  'sig',
  'token',
];
const NAMES = SECRET_NAMES.join('|');
/** Names whose value follows `: ` in headers and prose (not `token`: "failed to get token: timeout" is no secret). */
const HEADER_NAMES = ['authorization', 'password', 'client_secret', 'client_assertion', 'aadClientSecret'].join('|');

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  // A JWT anywhere (access tokens, client assertions, service-account tokens): three base64url parts.
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED_TEXT],
  // `Authorization: Bearer x`, `Bearer x`, `Basic x`, SAS tokens (`SharedAccessSignature sr=…&sig=…`).
  [/\b(Bearer|Basic|SharedAccessSignature)\s+[^\s"',]+/gi, `$1 ${REDACTED_TEXT}`],
  // JSON: "client_secret": "…"
  [new RegExp(`("(?:${NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REDACTED_TEXT}"`],
  // Query strings and form bodies: client_secret=…, sig=… (up to the next separator).
  [new RegExp(`\\b(${NAMES})=[^&\\s"',;]+`, 'gi'), `$1=${REDACTED_TEXT}`],
  // Headers and prose: `client_secret: …`, `password: …`.
  [new RegExp(`\\b(${HEADER_NAMES})(\\s*:\\s+)(?!\\[REDACTED\\])[^\\s"',;]+`, 'gi'), `$1$2${REDACTED_TEXT}`],
];

const MARKERS = new RegExp(`eyJ|bearer|basic|sharedaccesssignature|authorization|${NAMES}`, 'i');

/** `text` with tokens, secrets, assertions, authorization values and SAS signatures replaced by `[REDACTED]`. */
export function redactSecretText(text: string): string {
  if (!MARKERS.test(text)) return text;
  let redacted = text;
  for (const [pattern, replacement] of REPLACEMENTS) redacted = redacted.replace(pattern, replacement);
  return redacted;
}

import { REDACTED } from './redact.js';

/*
 * Free text that came from elsewhere (an ARM or AAD error body, an exception message) can carry a credential that
 * no field name marks: a bearer token echoed back, a form body with `client_secret=`, a SAS URL. These patterns
 * keep the name (so the reader sees what was there) and replace the value.
 */
const TEXT_PATTERNS: readonly { readonly pattern: RegExp; readonly replace: string }[] = [
  // `Authorization: Bearer x`, `"authorization":"x"`, `Authorization=x`: the whole credential after the name.
  {
    pattern: /(\bauthorization\b["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|pop)\s+)?[^\s"',;&]+/gi,
    replace: `$1${REDACTED}`,
  },
  // A bearer credential anywhere else (`Bearer eyJ...`).
  { pattern: /(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, replace: `$1${REDACTED}` },
  // key=value / "key":"value" / key: value for secret-bearing names (form bodies, JSON, query strings).
  {
    pattern:
      /(\b(?:client_secret|clientsecret|aadclientsecret|client_assertion|access_token|refresh_token|id_token|accesstoken|password|secret|token|sig|signature)\b["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    replace: `$1${REDACTED}`,
  },
  // A JWT on its own (three base64url parts, header starting `eyJ`).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
];

/**
 * `text` with every credential value replaced by "[REDACTED]": authorization headers, bearer tokens, JWTs, SAS
 * signatures (`sig=`), and `client_secret`, `client_assertion`, `access_token`, `password`, `token`-named values in
 * form, query-string and JSON spellings. For text from outside (error bodies) that is logged or put in an Event;
 * structured log fields are redacted by name with `redactSecrets`. Text without any of these is returned unchanged.
 */
export function redactSecretText(text: string): string {
  let result = text;
  for (const { pattern, replace } of TEXT_PATTERNS) result = result.replace(pattern, replace);
  return result;
}

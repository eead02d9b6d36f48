/**
 * Client IDs in logs show only their first and last four characters (spec §2.14), so logs can be shared without
 * revealing which identities a cluster uses. Values too short to keep eight characters are left as they are, as
 * upstream does.
 */
export function redactClientId(clientId: string): string {
  const match = /^(\S{4})[\s\S]*(\S{4})$/.exec(clientId);
  return match ? `${match[1]}##### REDACTED #####${match[2]}` : clientId;
}

/**
 * Log fields that must never be written in clear, wherever they appear in a logged object: tokens, secrets,
 * passwords and authorization headers. pino replaces their values with "[REDACTED]".
 */
export const SECRET_LOG_PATHS: readonly string[] = [
  'token',
  'accessToken',
  'access_token',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'aadClientSecret',
  'password',
  'secret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.secret',
  '*.authorization',
];

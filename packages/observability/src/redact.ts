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

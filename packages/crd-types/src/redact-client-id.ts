const REDACTED = '##### REDACTED #####';

/**
 * How client IDs appear in logs and error texts (§2.14): first 4 and last 4 characters kept. IDs too short for that
 * are hidden entirely (upstream printed them unchanged); an empty ID stays empty.
 */
export function redactClientId(clientId: string): string {
  if (clientId === '') return '';
  const match = /^(\S{4})[\s\S]*(\S{4})$/.exec(clientId);
  return match === null ? REDACTED : `${match[1]}${REDACTED}${match[2]}`;
}

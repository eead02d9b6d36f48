/**
 * §2.14: client IDs in logs keep their first and last 4 characters. IDs too short for that are hidden entirely
 * (upstream printed them unchanged).
 */
export function redactClientId(clientId: string): string {
  if (clientId.length === 0) return '';
  const match = /^(\S{4})[\s\S]*(\S{4})$/.exec(clientId);
  if (!match) return '##### REDACTED #####';
  return `${match[1]}##### REDACTED #####${match[2]}`;
}

/**
 * Parses an HTTP `Retry-After` value into an absolute deadline (epoch ms).
 *
 * Like upstream: a positive integer is a number of seconds, anything else is tried as an HTTP date; an absent,
 * unparsable, zero or past value yields no deadline (upstream then backs off for 0 s, i.e. not at all).
 */
export function retryAfterDeadline(headerValue: string | undefined | null, nowMs: number): number | undefined {
  if (headerValue === undefined || headerValue === null) return undefined;
  const trimmed = headerValue.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds > 0 ? nowMs + seconds * 1000 : undefined;
  }
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs) || dateMs <= nowMs) return undefined;
  return dateMs;
}

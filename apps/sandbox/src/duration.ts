/** Durations on the sandbox command line: `500ms`, `5s`, `1m`, `1.5s` or a plain number of milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) {
    throw Object.assign(new Error(`invalid duration "${text}": use e.g. 500ms, 5s or 1m`), {
      code: 'invalid_duration',
    });
  }
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return Math.round(unit === 'm' ? value * 60_000 : unit === 's' ? value * 1000 : value);
}

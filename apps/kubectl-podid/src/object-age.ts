/** Whole seconds from `thenMs` to `nowMs` (never negative), or null when the time is unknown. */
export const secondsSince = (nowMs: number, thenMs: number | undefined): number | null =>
  thenMs === undefined ? null : Math.max(0, Math.floor((nowMs - thenMs) / 1000));

/** `metadata.creationTimestamp` in ms; the schema allows a string or a Date. */
export const creationMs = (o: { metadata: { creationTimestamp?: string | Date | undefined } }): number | undefined => {
  const value = o.metadata.creationTimestamp;
  const parsed = value instanceof Date ? value.getTime() : Date.parse(value ?? '');
  return Number.isNaN(parsed) ? undefined : parsed;
};

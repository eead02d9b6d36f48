export interface BoundedMemoOptions {
  /** Most inputs remembered at once (default 512). */
  readonly capacity?: number;
  /**
   * Longest input remembered (default 512 characters); longer ones are computed every time. With `capacity` this
   * bounds the memo's bytes, not only its entries: a client sending endless distinct, long inputs costs nothing
   * lasting.
   */
  readonly maxInputLength?: number;
}

/**
 * Remembers the results of a pure function of a string for the few distinct inputs a node sees over and over
 * (SDKs send the same path and query on every token request). Bounded: when full it starts afresh.
 */
export function boundedMemo<T>(
  compute: (input: string) => T,
  options: BoundedMemoOptions | number = {},
): (input: string) => T {
  const { capacity = 512, maxInputLength = 512 } = typeof options === 'number' ? { capacity: options } : options;
  const results = new Map<string, T>();
  return (input) => {
    const known = results.get(input);
    if (known !== undefined) return known;
    const result = compute(input);
    if (input.length > maxInputLength) return result;
    if (results.size >= capacity) results.clear();
    results.set(input, result);
    return result;
  };
}

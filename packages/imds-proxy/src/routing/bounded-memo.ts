/**
 * Remembers the results of a pure function of a string for the few distinct inputs a node sees over and over
 * (SDKs send the same path and query on every token request). Bounded: when full it starts afresh, so a client
 * sending endless distinct inputs costs memory for at most `capacity` of them.
 */
export function boundedMemo<T>(compute: (input: string) => T, capacity = 512): (input: string) => T {
  const results = new Map<string, T>();
  return (input) => {
    const known = results.get(input);
    if (known !== undefined) return known;
    const result = compute(input);
    if (results.size >= capacity) results.clear();
    results.set(input, result);
    return result;
  };
}

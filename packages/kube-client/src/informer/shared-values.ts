/**
 * One instance per distinct value, for informer transforms. `JSON.parse` makes a new string for every string value
 * and a new object for every object, so 100,000 cached objects hold 100,000 copies of `"default"`, of the same
 * node name, of `{"status":"Assigned","availableReplicas":1}`. Cached objects are never mutated, so equal values
 * can be one instance; what a reader sees is unchanged.
 *
 * Bounded: past `limit` distinct values of a kind, that pool starts over (values stay right; only sharing of what
 * was pooled before ends), so values that never repeat (timestamps of a fast-changing cluster) cannot grow it.
 */
export interface ValueSharing {
  /** The pooled instance of this string. */
  string<S extends string | undefined>(value: S): S;
  /** The pooled instance of a JSON value with this content (compared as JSON). */
  json<V>(value: V): V;
}

const DEFAULT_LIMIT = 20_000;

export function createValueSharing(limit = DEFAULT_LIMIT): ValueSharing {
  const strings = new Map<string, string>();
  const values = new Map<string, unknown>();
  return {
    string(value) {
      if (value === undefined) return value;
      const known = strings.get(value);
      if (known !== undefined) return known as typeof value;
      if (strings.size >= limit) strings.clear();
      strings.set(value, value);
      return value;
    },
    json(value) {
      if (value === undefined || value === null) return value;
      const key = JSON.stringify(value);
      const known = values.get(key);
      if (known !== undefined) return known as typeof value;
      if (values.size >= limit) values.clear();
      values.set(key, value);
      return value;
    },
  };
}

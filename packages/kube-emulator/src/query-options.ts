/**
 * Query parameters decoded as the real API server decodes them (apimachinery's query-parameter conversion), so every
 * client's spelling means what it means against a real cluster.
 */
import { ApiError, failureStatus } from './status-errors.js';

/**
 * apimachinery's string-to-bool conversion: an absent parameter is false; otherwise the first value decides, and only
 * `0` and `false` (any letter case) are false. `True` (the Python client), `1` and an empty value are true.
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const first = query.get(name);
  if (first === null) return false;
  return !(first === '0' || first.toLowerCase() === 'false');
}

/** Which options object a write verb decodes its query into; named in the 422 for a bad `dryRun`. */
export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/**
 * `dryRun` may be repeated; the only value the real server knows is `All`. Anything else is refused before the
 * request is processed, with the real server's 422 on the options object (e.g. `CreateOptions.meta.k8s.io "" is
 * invalid: dryRun: Unsupported value: []string{"Foo"}: supported values: "All"`).
 */
export function parseDryRun(query: URLSearchParams, optionsKind: WriteOptionsKind, fromBody: unknown = []): boolean {
  const values = [...query.getAll('dryRun'), ...(Array.isArray(fromBody) ? fromBody.map(String) : [])];
  if (values.length === 0) return false;
  if (values.every((v) => v === 'All')) return true;
  const goSlice = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
  const message = `Unsupported value: ${goSlice}: supported values: "All"`;
  throw new ApiError(
    'INVALID',
    failureStatus(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: dryRun: ${message}`, {
      group: 'meta.k8s.io',
      kind: optionsKind,
      causes: [{ reason: 'FieldValueNotSupported', message, field: 'dryRun' }],
    }),
  );
}

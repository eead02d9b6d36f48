import type { z } from 'zod';
import { arrayElement, objectFields, recordValue } from './schema-shape.js';

export interface CaseInsensitiveDecodeResult {
  /** The input with every known field renamed to its exact (camelCase) JSON name; the input itself if unchanged. */
  readonly value: unknown;
  /** True when at least one key was renamed or two spellings of one field were merged. */
  readonly changed: boolean;
}

/** Plain assignment would treat a `__proto__` key from JSON as the prototype and drop it. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Renames keys that match a schema field case-insensitively (`ClientID` → `clientID`), at every depth the schema
 * describes. This reproduces Go's encoding/json decoding, which upstream relied on to read pre-1.6 objects (§1.7):
 * an exact key wins over a case-folded one only by position — when several spellings of one field are present, the
 * last one in the object wins, as in Go. Keys of maps (labels, podLabels) and unknown keys are never touched.
 */
export function decodeCaseInsensitive(schema: z.ZodType, value: unknown): CaseInsensitiveDecodeResult {
  const fields = objectFields(schema);
  if (fields !== undefined) {
    return isPlainObject(value) ? decodeObject(fields, value) : { value, changed: false };
  }
  const element = arrayElement(schema);
  if (element !== undefined) {
    if (!Array.isArray(value)) return { value, changed: false };
    let changed = false;
    const items = value.map((item) => {
      const decoded = decodeCaseInsensitive(element, item);
      changed ||= decoded.changed;
      return decoded.value;
    });
    return changed ? { value: items, changed } : { value, changed: false };
  }
  const mapValue = recordValue(schema);
  if (mapValue !== undefined && isPlainObject(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = decodeCaseInsensitive(mapValue, item);
      changed ||= decoded.changed;
      setOwn(out, key, decoded.value);
    }
    return changed ? { value: out, changed } : { value, changed: false };
  }
  return { value, changed: false };
}

function decodeObject(
  fields: Readonly<Record<string, z.ZodType>>,
  value: Record<string, unknown>,
): CaseInsensitiveDecodeResult {
  const byFoldedName = new Map<string, string>();
  for (const name of Object.keys(fields)) byFoldedName.set(name.toLowerCase(), name);

  const out: Record<string, unknown> = {};
  let changed = false;
  for (const [key, item] of Object.entries(value)) {
    const canonical = Object.hasOwn(fields, key) ? key : byFoldedName.get(key.toLowerCase());
    if (canonical === undefined) {
      setOwn(out, key, item);
      continue;
    }
    const decoded = decodeCaseInsensitive(fields[canonical]!, item);
    if (canonical !== key || decoded.changed || Object.hasOwn(out, canonical)) changed = true;
    setOwn(out, canonical, decoded.value);
  }
  return changed ? { value: out, changed } : { value, changed: false };
}

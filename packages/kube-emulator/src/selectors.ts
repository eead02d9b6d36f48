/**
 * Label and field selectors with the real API server's grammar. Parsing happens once per request; the compiled
 * predicate runs per object, so list and watch fan-out stay cheap.
 */
import { badRequest } from './status-errors.js';
import type { KubeObject } from './resource-types.js';

export type ObjectPredicate = (obj: KubeObject) => boolean;

type LabelRequirement =
  | { op: 'exists' | '!'; key: string }
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> }
  | { op: 'gt' | 'lt'; key: string; value: number };

/** Splits on commas that are not inside parentheses (`a in (x,y),b`). */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!LABEL_KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  return key;
}

function checkValue(value: string, whole: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in "${whole}"`);
  }
  return value;
}

function parseRequirement(text: string): LabelRequirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch) {
    const key = checkKey(setMatch[1]!, text);
    const values = (setMatch[3] ?? '').split(',').map((v) => checkValue(v.trim(), text));
    return { op: setMatch[2] as 'in' | 'notin', key, values: new Set(values) };
  }
  if (text.startsWith('!')) return { op: '!', key: checkKey(text.slice(1).trim(), text) };
  const eq = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(text);
  if (eq) {
    const key = checkKey(eq[1]!, text);
    const rawOp = eq[2]!;
    const value = (eq[3] ?? '').trim();
    if (rawOp === '<' || rawOp === '>') {
      const n = Number(value);
      if (!Number.isInteger(n))
        throw badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in "${text}"`,
        );
      return { op: rawOp === '>' ? 'gt' : 'lt', key, value: n };
    }
    return { op: rawOp === '!=' ? '!=' : '=', key, value: checkValue(value, text) };
  }
  return { op: 'exists', key: checkKey(text, text) };
}

function matchesRequirement(labels: Record<string, string>, r: LabelRequirement): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
      return has && v === r.value;
    case '!=':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.has(v!);
    case 'notin':
      return !has || !r.values.has(v!);
    case 'gt':
      return has && Number(v) > r.value;
    case 'lt':
      return has && Number(v) < r.value;
  }
}

export function parseLabelSelector(selector: string | undefined): ObjectPredicate | undefined {
  if (selector === undefined || selector.trim() === '') return undefined;
  const requirements = splitTopLevel(selector).map(parseRequirement);
  return (obj) => {
    const labels = (obj['metadata']?.labels ?? {}) as Record<string, string>;
    return requirements.every((r) => matchesRequirement(labels, r));
  };
}

/** Field values as the real server exposes them to selectors (booleans as "true"/"false", missing as ""). */
export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as KubeObject)[part];
  }
  if (cur === undefined || cur === null) {
    return path === 'spec.hostNetwork' || path === 'spec.unschedulable' ? 'false' : '';
  }
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

function splitUnescaped(input: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\\' && i + 1 < input.length) {
      current += input[++i];
    } else if (ch === sep) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

/**
 * Field selectors support metadata.name, metadata.namespace and the type's own selectable fields, with = == !=.
 * Unknown fields are refused with 400 like the real server.
 */
export function parseFieldSelector(
  selector: string | undefined,
  allowedFields: readonly string[],
): ObjectPredicate | undefined {
  if (selector === undefined || selector.trim() === '') return undefined;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...allowedFields]);
  const terms = splitUnescaped(selector, ',').map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: m[3]! };
  });
  return (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) !== t.negate);
}

export function combinePredicates(...predicates: (ObjectPredicate | undefined)[]): ObjectPredicate | undefined {
  const present = predicates.filter((p): p is ObjectPredicate => p !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return (obj) => present.every((p) => p(obj));
}

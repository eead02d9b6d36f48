/**
 * Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` turns lists, single objects and
 * watch events into meta.k8s.io/v1 Tables built from the type's printer columns, which is what `kubectl get` prints.
 */
import { ageOf } from './printer-columns.js';
import type { KubeObject, PrinterColumn, ResourceType } from './resource-types.js';

export function wantsTable(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  // The first acceptable entry wins; kubectl lists the Table forms first and plain JSON last.
  const first = accept.split(',')[0] ?? '';
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

/** Evaluates the simple JSONPath forms CRDs use: `.spec.a`, `.a[0].b`, `.metadata.labels['x/y']`. */
export function evaluateJsonPath(obj: unknown, path: string): unknown {
  const tokens: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/g;
  let m: RegExpExecArray | null = re.exec(path);
  while (m !== null) {
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
    else if (m[3] !== undefined) tokens.push(m[3]);
    m = re.exec(path);
  }
  let cur: unknown = obj;
  for (const t of tokens) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[t];
  }
  return cur;
}

function cellOf(column: PrinterColumn, obj: KubeObject, now: number): unknown {
  if (column.compute !== undefined) return column.compute(obj, now);
  const value = evaluateJsonPath(obj, column.jsonPath ?? '');
  if (value === undefined || value === null) return null;
  if (column.type === 'date') return ageOf(value, now);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function columnDefinitions(rt: ResourceType): KubeObject[] {
  return rt.printerColumns.map((c) => ({
    name: c.name,
    type: c.type === 'date' ? 'string' : c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
}

function rowOf(rt: ResourceType, obj: KubeObject, now: number, includeObject: string): KubeObject {
  const row: KubeObject = { cells: rt.printerColumns.map((c) => cellOf(c, obj, now)) };
  if (includeObject === 'Object') row['object'] = obj;
  else if (includeObject !== 'None') {
    row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj['metadata'] };
  }
  return row;
}

export interface TableOptions {
  now: number;
  includeObject: string;
  withColumns: boolean;
  listMetadata?: KubeObject;
}

export function toTable(rt: ResourceType, objects: KubeObject[], options: TableOptions): KubeObject {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMetadata ?? {},
    columnDefinitions: options.withColumns ? columnDefinitions(rt) : null,
    rows: objects.map((o) => rowOf(rt, o, options.now, options.includeObject)),
  };
}

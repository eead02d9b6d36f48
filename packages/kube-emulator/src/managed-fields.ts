/**
 * Server-side apply field ownership: `metadata.managedFields` in the FieldsV1 format, one entry per manager,
 * operation (Apply or Update) and subresource. Updates (create, PUT, non-apply PATCH) give their manager the fields
 * whose value they changed and take those fields from everyone else; applies own exactly the fields of the applied
 * configuration, conflict (409) when that would change the value of a field another manager owns, take the field
 * over with `force`, and remove the fields they stopped applying when nobody else owns them.
 *
 * A field path is kept as its FieldsV1 keys joined by newlines (`f:spec\nf:containers\nk:{"name":"app"}\nf:image`).
 * Lists of built-in types merge by the keys the real types declare (`k:`), sets of primitives are `v:` members,
 * every other list is atomic and owned as a whole, as the real server treats them.
 */
import { listStrategyFor } from './patching.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import { ApiError, failureStatus, type StatusCause } from './status-errors.js';

export type ManagedOperation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  manager: string;
  operation: ManagedOperation;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: KubeObject;
  subresource?: string;
}

/** Field path → a fingerprint of its value (JSON; '' for list elements and other markers). */
type FieldValues = Map<string, string>;

const SEP = '\n';

/** Metadata the server owns: never part of a manager's field set. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

function isPlainObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The fields of `obj` that managers can own, with their values. `subresource` 'status' covers only `status`; the
 * main resource covers everything but `status` when the type has a status subresource (the real server resets it).
 */
export function fieldValues(rt: ResourceType, obj: KubeObject, subresource: string | undefined): FieldValues {
  const out: FieldValues = new Map();
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    const isStatus = key === 'status';
    if (subresource === 'status' ? !isStatus : isStatus && rt.hasStatusSubresource) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      for (const [mk, mv] of Object.entries(value)) {
        if (!SERVER_METADATA.has(mk) && mv !== undefined)
          walk(rt, mv, `f:metadata${SEP}f:${mk}`, `metadata.${mk}`, out);
      }
      continue;
    }
    if (value !== undefined) walk(rt, value, `f:${key}`, key, out);
  }
  return out;
}

function walk(rt: ResourceType, value: unknown, path: string, dotted: string, out: FieldValues): void {
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) out.set(path, '{}');
    for (const [k, v] of entries) walk(rt, v, `${path}${SEP}f:${k}`, `${dotted}.${k}`, out);
    return;
  }
  if (Array.isArray(value)) {
    const strategy = listStrategyFor(rt.plural, dotted, rt.isCustom);
    if (strategy === undefined) {
      out.set(path, JSON.stringify(value));
      return;
    }
    // An empty merged list is still a field (what allFieldsV1 records as `f:name: {}`).
    if (value.length === 0) out.set(path, '[]');
    if (strategy.key === undefined) {
      for (const item of value) out.set(`${path}${SEP}v:${JSON.stringify(item)}`, '');
      return;
    }
    for (const item of value) {
      if (!isPlainObject(item) || item[strategy.key] === undefined) continue;
      const element = `${path}${SEP}k:${JSON.stringify({ [strategy.key]: item[strategy.key] })}`;
      out.set(element, '');
      for (const [k, v] of Object.entries(item)) {
        if (v !== undefined) walk(rt, v, `${element}${SEP}f:${k}`, `${dotted}[].${k}`, out);
      }
    }
    return;
  }
  out.set(path, JSON.stringify(value));
}

/**
 * Objects of one shape have the same FieldsV1 (values are not part of it), so identical trees are shared: tens of
 * thousands of pods then cost one tree, not one each. Trees are never changed once built. Bounded: the cache
 * starts over when it is full.
 */
const internedTrees = new Map<string, KubeObject>();
const MAX_INTERNED = 4096;

function intern(tree: KubeObject): KubeObject {
  const key = JSON.stringify(tree);
  const known = internedTrees.get(key);
  if (known !== undefined) return known;
  if (internedTrees.size >= MAX_INTERNED) internedTrees.clear();
  internedTrees.set(key, tree);
  return tree;
}

/**
 * FieldsV1 of every field of `obj` (what a create gives its creator), built directly: the same rules as
 * fieldValues + toFieldsV1, without the intermediate path strings, because it runs on every create.
 */
export function allFieldsV1(rt: ResourceType, obj: KubeObject, subresource: string | undefined): KubeObject {
  const root: KubeObject = {};
  for (const key of Object.keys(obj).sort()) {
    const value = obj[key];
    if (key === 'apiVersion' || key === 'kind' || value === undefined) continue;
    const isStatus = key === 'status';
    if (subresource === 'status' ? !isStatus : isStatus && rt.hasStatusSubresource) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      const meta: KubeObject = {};
      for (const mk of Object.keys(value).sort()) {
        if (!SERVER_METADATA.has(mk) && value[mk] !== undefined)
          meta[`f:${mk}`] = treeOf(rt, value[mk], `metadata.${mk}`);
      }
      if (Object.keys(meta).length > 0) root['f:metadata'] = meta;
      continue;
    }
    root[`f:${key}`] = treeOf(rt, value, key);
  }
  return root;
}

function treeOf(rt: ResourceType, value: unknown, dotted: string): KubeObject {
  if (isPlainObject(value)) {
    const node: KubeObject = {};
    for (const k of Object.keys(value).sort()) {
      if (value[k] !== undefined) node[`f:${k}`] = treeOf(rt, value[k], `${dotted}.${k}`);
    }
    return node;
  }
  if (!Array.isArray(value)) return {};
  const strategy = listStrategyFor(rt.plural, dotted, rt.isCustom);
  if (strategy === undefined) return {};
  const entries: [string, KubeObject][] = [];
  for (const item of value) {
    if (strategy.key === undefined) {
      entries.push([`v:${JSON.stringify(item)}`, {}]);
    } else if (isPlainObject(item) && item[strategy.key] !== undefined) {
      const element = treeOf(rt, item, `${dotted}[]`);
      entries.push([`k:${JSON.stringify({ [strategy.key]: item[strategy.key] })}`, { '.': {}, ...element }]);
    }
  }
  const node: KubeObject = {};
  for (const [k, v] of entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) node[k] = v;
  return node;
}

/** A set of paths as FieldsV1: nested keys, with `.` marking a member that also has members below it. */
export function toFieldsV1(paths: Iterable<string>): KubeObject {
  const root: KubeObject = {};
  const all = [...paths];
  const members = new Set(all);
  for (const path of all.sort()) {
    let node = root;
    for (const seg of path.split(SEP)) {
      node[seg] ??= {};
      node = node[seg];
    }
  }
  // A member with children gets `.`; parents that are only prefixes stay plain.
  for (const path of members) {
    let node = root;
    for (const seg of path.split(SEP)) node = node[seg];
    if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
  }
  return sortKeys(root);
}

function sortKeys(node: KubeObject): KubeObject {
  const out: KubeObject = {};
  for (const k of Object.keys(node).sort()) out[k] = sortKeys(node[k]);
  return out;
}

export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (node: unknown, prefix: string): void => {
    if (!isPlainObject(node)) return;
    const keys = Object.keys(node);
    if (prefix !== '' && (keys.length === 0 || keys.includes('.'))) out.add(prefix);
    for (const k of keys) if (k !== '.') visit(node[k], prefix === '' ? k : `${prefix}${SEP}${k}`);
  };
  visit(fields, '');
  return out;
}

/** `.spec.containers[name="app"].image`, as the real server prints a field path. */
export function printPath(path: string): string {
  return path
    .split(SEP)
    .map((seg) => {
      const body = seg.slice(2);
      if (seg.startsWith('f:')) return `.${body}`;
      if (seg.startsWith('v:')) return `[=${body}]`;
      if (seg.startsWith('k:')) {
        const keys = JSON.parse(body) as KubeObject;
        return `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return seg;
    })
    .join('');
}

interface Owner {
  entry: ManagedFieldsEntry;
  fields: Set<string>;
}

function ownersOf(obj: KubeObject | undefined): Owner[] {
  const entries = obj?.['metadata']?.managedFields;
  if (!Array.isArray(entries)) return [];
  return entries
    .filter((e: unknown): e is ManagedFieldsEntry => isPlainObject(e) && typeof e['manager'] === 'string')
    .map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));
}

function sameIdentity(e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

function entriesOf(owners: Owner[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.fields.size > 0)
    .map((o) => ({ ...o.entry, fieldsType: 'FieldsV1' as const, fieldsV1: intern(toFieldsV1(o.fields)) }));
}

export interface WriteIdentity {
  manager: string;
  subresource: string | undefined;
  apiVersion: string;
  time: string;
}

function ownerFor(owners: Owner[], who: WriteIdentity, operation: ManagedOperation): Owner {
  let own = owners.find((o) => sameIdentity(o.entry, who.manager, operation, who.subresource));
  if (own === undefined) {
    const entry: ManagedFieldsEntry = {
      manager: who.manager,
      operation,
      apiVersion: who.apiVersion,
      time: who.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    };
    if (who.subresource !== undefined) entry.subresource = who.subresource;
    own = { entry, fields: new Set() };
    owners.push(own);
  }
  return own;
}

/**
 * managedFields after an update (create, PUT, merge/JSON/strategic patch) from `before` to `after`: the updater
 * owns what it changed, nobody keeps a field that it changed or that is gone.
 */
export function managedFieldsAfterUpdate(
  rt: ResourceType,
  before: KubeObject | undefined,
  after: KubeObject,
  who: WriteIdentity,
): ManagedFieldsEntry[] {
  if (before === undefined) {
    const fieldsV1 = allFieldsV1(rt, after, who.subresource);
    if (Object.keys(fieldsV1).length === 0) return [];
    const shared = intern(fieldsV1);
    const entry: ManagedFieldsEntry = {
      manager: who.manager,
      operation: 'Update',
      apiVersion: who.apiVersion,
      time: who.time,
      fieldsType: 'FieldsV1',
      fieldsV1: shared,
    };
    if (who.subresource !== undefined) entry.subresource = who.subresource;
    return [entry];
  }
  const old = fieldValues(rt, before, who.subresource);
  const now = fieldValues(rt, after, who.subresource);
  const changed: string[] = [];
  for (const [path, value] of now) if (old.get(path) !== value) changed.push(path);
  const owners = ownersOf(before);
  for (const o of owners) {
    for (const path of changed) o.fields.delete(path);
    for (const path of old.keys()) if (!now.has(path)) o.fields.delete(path);
  }
  if (changed.length > 0) {
    const own = ownerFor(owners, who, 'Update');
    for (const path of changed) own.fields.add(path);
    own.entry = { ...own.entry, time: who.time, apiVersion: who.apiVersion };
  }
  return entriesOf(owners);
}

/** The 409 the real server answers for apply conflicts, message and causes included. */
function conflictError(conflicts: { owner: ManagedFieldsEntry; path: string }[]): ApiError {
  const describe = (e: ManagedFieldsEntry): string => {
    let s = JSON.stringify(e.manager);
    if (e.subresource !== undefined && e.subresource !== '') s += ` with subresource ${JSON.stringify(e.subresource)}`;
    if (e.operation === 'Update') s += ` using ${e.apiVersion} at ${e.time}`;
    return s;
  };
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describe(c.owner)}`,
    field: printPath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(conflicts[0]!.owner)}: ${printPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const key = describe(c.owner);
      byManager.set(key, [...(byManager.get(key) ?? []), printPath(c.path)]);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${key}:`);
      for (const p of byManager.get(key)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError('CONFLICT', failureStatus(409, 'Conflict', message, { causes }));
}

/**
 * Checks an apply of `config` to `live` (undefined: the apply creates the object) for conflicts and returns what the
 * applier stopped applying (to be removed from the merged object when no one else owns it).
 * Throws the 409 Conflict unless `force`.
 */
export function checkApply(
  rt: ResourceType,
  live: KubeObject | undefined,
  config: KubeObject,
  who: WriteIdentity,
  force: boolean,
): { removals: string[] } {
  const applied = fieldValues(rt, config, who.subresource);
  if (live === undefined) return { removals: [] };
  const current = fieldValues(rt, live, who.subresource);
  const owners = ownersOf(live);
  const conflicts: { owner: ManagedFieldsEntry; path: string }[] = [];
  for (const o of owners) {
    if (sameIdentity(o.entry, who.manager, 'Apply', who.subresource)) continue;
    for (const [path, value] of applied) {
      if (o.fields.has(path) && current.has(path) && current.get(path) !== value)
        conflicts.push({ owner: o.entry, path });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  const mine = owners.find((o) => sameIdentity(o.entry, who.manager, 'Apply', who.subresource));
  const removals: string[] = [];
  for (const path of mine?.fields ?? []) {
    if (applied.has(path)) continue;
    const ownedElsewhere = owners.some(
      (o) => o !== mine && [...o.fields].some((f) => f === path || f.startsWith(`${path}${SEP}`)),
    );
    if (!ownedElsewhere) removals.push(path);
  }
  return { removals };
}

/** managedFields after an apply: the applier owns exactly the applied fields; `force` took them from the others. */
export function managedFieldsAfterApply(
  rt: ResourceType,
  live: KubeObject | undefined,
  config: KubeObject,
  result: KubeObject,
  who: WriteIdentity,
): ManagedFieldsEntry[] {
  const applied = fieldValues(rt, config, who.subresource);
  const before = live === undefined ? new Map<string, string>() : fieldValues(rt, live, who.subresource);
  const after = fieldValues(rt, result, who.subresource);
  const owners = ownersOf(live);
  for (const o of owners) {
    if (sameIdentity(o.entry, who.manager, 'Apply', who.subresource)) continue;
    for (const path of [...o.fields]) {
      const valueChanged = applied.has(path) && before.get(path) !== after.get(path);
      if (valueChanged || !after.has(path)) o.fields.delete(path);
    }
  }
  const own = ownerFor(owners, who, 'Apply');
  own.fields = new Set(applied.keys());
  own.entry = { ...own.entry, time: who.time, apiVersion: who.apiVersion };
  return entriesOf(owners);
}

/** Deletes the field at `path` from `obj` (in place): a map key, a keyed list element, or a set member. */
export function removeField(obj: KubeObject, path: string): void {
  const segs = path.split(SEP);
  let node: unknown = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const body = seg.slice(2);
    if (seg.startsWith('f:')) {
      if (!isPlainObject(node)) return;
      if (last) {
        delete node[body];
        return;
      }
      node = node[body];
    } else if (Array.isArray(node)) {
      const list: unknown[] = node;
      const matches = (item: unknown): boolean => {
        if (seg.startsWith('v:')) return JSON.stringify(item) === body;
        const keys = JSON.parse(body) as KubeObject;
        return isPlainObject(item) && Object.entries(keys).every(([k, v]) => item[k] === v);
      };
      const idx = list.findIndex(matches);
      if (idx === -1) return;
      if (last) {
        list.splice(idx, 1);
        return;
      }
      node = list[idx];
    } else {
      return;
    }
  }
}

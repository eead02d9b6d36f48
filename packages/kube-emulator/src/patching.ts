/**
 * The four PATCH content types: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch (lists
 * merged by the keys the real built-in types declare, with the `$patch`, `$retainKeys`, `$setElementOrder` and
 * `$deleteFromPrimitiveList` directives kubectl sends) and a simplified apply patch.
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { badRequest, invalid, unsupportedMediaType, type ResourceRef } from './status-errors.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import { parse as parseYaml } from 'yaml';

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const CONTENT_TYPES: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

export function patchKindOf(contentType: string | undefined, rt: ResourceType): PatchKind {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const kind = CONTENT_TYPES[base];
  const accepted = rt.isCustom
    ? ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']
    : [
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
      ];
  if (kind === undefined || (kind === 'strategic' && rt.isCustom)) throw unsupportedMediaType(accepted);
  return kind;
}

function isPlainObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: KubeObject = isPlainObject(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = applyMergePatch(result[k], v);
  }
  return result;
}

export function applyJsonPatch(
  original: KubeObject,
  body: unknown,
  ref: ResourceRef,
  kind: string,
  name: string,
): KubeObject {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    const doc = structuredClone(original);
    return jsonPatch.applyPatch(doc, body as Operation[], true, true).newDocument as KubeObject;
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw invalid(ref, kind, name, [{ reason: 'FieldValueInvalid', message: `json patch failed: ${message}` }]);
  }
}

/** How a list field merges under strategic merge patch. No entry means "replace", as for fields without tags. */
export interface ListStrategy {
  /** Merge key for lists of objects; absent for lists of primitives merged as a set. */
  key?: string;
}

const METADATA_STRATEGIES: Record<string, ListStrategy> = {
  'metadata.ownerReferences': { key: 'uid' },
  'metadata.finalizers': {},
};

const CONTAINER = (prefix: string): Record<string, ListStrategy> => ({
  [prefix]: { key: 'name' },
  [`${prefix}[].env`]: { key: 'name' },
  [`${prefix}[].ports`]: { key: 'containerPort' },
  [`${prefix}[].volumeMounts`]: { key: 'mountPath' },
  [`${prefix}[].volumeDevices`]: { key: 'devicePath' },
});

/** A PodSpec's lists at `prefix` (`spec` in a Pod, `spec.template.spec` in a workload's pod template). */
const POD_SPEC = (prefix: string): Record<string, ListStrategy> => ({
  ...CONTAINER(`${prefix}.containers`),
  ...CONTAINER(`${prefix}.initContainers`),
  ...CONTAINER(`${prefix}.ephemeralContainers`),
  [`${prefix}.volumes`]: { key: 'name' },
  [`${prefix}.imagePullSecrets`]: { key: 'name' },
  [`${prefix}.hostAliases`]: { key: 'ip' },
  [`${prefix}.resourceClaims`]: { key: 'name' },
  [`${prefix}.schedulingGates`]: { key: 'name' },
});

/** Patch strategies of the real built-in types (the `patchStrategy`/`patchMergeKey` struct tags). */
const STRATEGIES: Record<string, Record<string, ListStrategy>> = {
  // Helm's upgrades and `kubectl apply` send strategic merge patches of the pod template: without these, a patched
  // list would replace the stored one and drop every field the patch does not repeat.
  deployments: { ...POD_SPEC('spec.template.spec'), 'status.conditions': { key: 'type' } },
  daemonsets: { ...POD_SPEC('spec.template.spec'), 'status.conditions': { key: 'type' } },
  pods: {
    ...POD_SPEC('spec'),
    'status.conditions': { key: 'type' },
    'status.podIPs': { key: 'ip' },
    'status.hostIPs': { key: 'ip' },
  },
  nodes: {
    'spec.podCIDRs': {},
    'status.conditions': { key: 'type' },
    'status.addresses': { key: 'type' },
  },
  namespaces: {},
  configmaps: {},
  secrets: {},
  leases: {},
  serviceaccounts: { secrets: { key: 'name' } },
  events: {},
};

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  const out: KubeObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    if (v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

class StrategicMerger {
  constructor(private readonly strategies: Record<string, ListStrategy>) {}

  mergeMap(original: unknown, patch: KubeObject, path: string): KubeObject | undefined {
    if (patch['$patch'] === 'delete') return undefined;
    if (patch['$patch'] === 'replace') return stripDirectives(patch) as KubeObject;
    const result: KubeObject = isPlainObject(original) ? { ...original } : {};
    const retain = patch['$retainKeys'];
    if (Array.isArray(retain)) {
      for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
    }
    const orders: [string, unknown[]][] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch' || key === '$retainKeys') continue;
      if (key.startsWith('$setElementOrder/')) {
        if (Array.isArray(value)) orders.push([key.slice('$setElementOrder/'.length), value]);
        continue;
      }
      if (key.startsWith('$deleteFromPrimitiveList/')) {
        const field = key.slice('$deleteFromPrimitiveList/'.length);
        const current = result[field];
        if (Array.isArray(current) && Array.isArray(value)) {
          result[field] = current.filter((v) => !value.includes(v));
        }
        continue;
      }
      const childPath = path === '' ? key : `${path}.${key}`;
      if (value === null) {
        delete result[key];
      } else if (Array.isArray(value)) {
        const strategy = this.strategies[childPath];
        result[key] = strategy ? this.mergeList(result[key], value, childPath, strategy) : stripDirectives(value);
      } else if (isPlainObject(value)) {
        const merged = this.mergeMap(result[key], value, childPath);
        if (merged === undefined) delete result[key];
        else result[key] = merged;
      } else {
        result[key] = value;
      }
    }
    for (const [field, order] of orders) {
      const strategy = this.strategies[path === '' ? field : `${path}.${field}`];
      if (Array.isArray(result[field])) result[field] = reorder(result[field] as unknown[], order, strategy?.key);
    }
    return result;
  }

  private mergeList(original: unknown, patch: unknown[], path: string, strategy: ListStrategy): unknown[] {
    const base = Array.isArray(original) ? [...original] : [];
    if (strategy.key === undefined) {
      const out = [...base];
      for (const v of patch) if (!out.includes(v)) out.push(v);
      return out;
    }
    const key = strategy.key;
    if (patch.some((p) => isPlainObject(p) && p['$patch'] === 'replace')) {
      return patch.filter((p) => !(isPlainObject(p) && p['$patch'] === 'replace')).map(stripDirectives);
    }
    let out = base;
    for (const item of patch) {
      if (!isPlainObject(item)) continue;
      const idx = out.findIndex((o) => isPlainObject(o) && o[key] === item[key]);
      if (item['$patch'] === 'delete') {
        out = out.filter((o) => !(isPlainObject(o) && o[key] === item[key]));
        continue;
      }
      if (idx === -1) {
        out.push(stripDirectives(item));
      } else {
        const merged = this.mergeMap(out[idx], item, `${path}[]`);
        if (merged === undefined) out.splice(idx, 1);
        else out[idx] = merged;
      }
    }
    return out;
  }
}

/** Puts list elements in the order kubectl asked for; elements it did not mention keep their place at the end. */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const identity = (v: unknown): unknown => (key !== undefined && isPlainObject(v) ? v[key] : v);
  const wanted = order.map(identity);
  const ranked = list.map((v, i) => {
    const r = wanted.indexOf(identity(v));
    return { v, rank: r === -1 ? wanted.length + i : r };
  });
  return ranked.sort((a, b) => a.rank - b.rank).map((x) => x.v);
}

/** Every list with a merge strategy in a built-in type (dotted path → strategy), for the OpenAPI documents. */
export function listStrategiesOf(plural: string): [string, ListStrategy][] {
  return Object.entries({ ...METADATA_STRATEGIES, ...(STRATEGIES[plural] ?? {}) });
}

/**
 * How the list at `path` (dotted, `[]` for list elements: `spec.containers[].env`) of a built-in type merges, or
 * undefined for an atomic list (custom resources' lists are all atomic here, the CRD default).
 */
export function listStrategyFor(plural: string, path: string, isCustom: boolean): ListStrategy | undefined {
  if (isCustom) return METADATA_STRATEGIES[path];
  return METADATA_STRATEGIES[path] ?? STRATEGIES[plural]?.[path];
}

export function applyStrategicMergePatch(original: KubeObject, patch: unknown, plural: string): KubeObject {
  if (!isPlainObject(patch))
    throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  const merger = new StrategicMerger({ ...METADATA_STRATEGIES, ...(STRATEGIES[plural] ?? {}) });
  return merger.mergeMap(original, patch, '') ?? {};
}

/**
 * Server-side apply without managed fields: the applied configuration is merged into the live object (strategic
 * merge for built-ins, merge patch for custom resources). Field ownership and conflicts are not tracked.
 */
export function parseApplyBody(raw: string): KubeObject {
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (e) {
    throw badRequest(`error decoding YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isPlainObject(parsed)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  return parsed;
}

/**
 * Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>[/<version>], in the legacy form and, for
 * clients that ask for it first (kubectl 1.30+), the aggregated apidiscovery.k8s.io/v2 form of /api and /apis.
 */
import type { ResourceType } from './resource-types.js';
import { VERBS_FULL, VERBS_NAMESPACE, VERBS_REVIEW, VERBS_STATUS, type KubeObject } from './resource-types.js';
import type { TypeRegistry } from './type-registry.js';

export const EMULATED_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-podid.1' };

export function versionInfo(): KubeObject {
  return {
    major: EMULATED_VERSION.major,
    minor: EMULATED_VERSION.minor,
    gitVersion: EMULATED_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function apiVersions(serverAddress: string): KubeObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): KubeObject {
  const gvs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(types: TypeRegistry): KubeObject {
  const groups: KubeObject[] = [];
  for (const [name, versions] of types.groups()) if (name !== '') groups.push(groupEntry(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(types: TypeRegistry, group: string): KubeObject | undefined {
  const versions = types.groups().get(group);
  if (versions === undefined || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

function verbsOf(rt: ResourceType): string[] {
  if (rt.review === true) return VERBS_REVIEW;
  return rt.group === '' && rt.plural === 'namespaces' ? VERBS_NAMESPACE : VERBS_FULL;
}

function resourceEntries(rt: ResourceType): KubeObject[] {
  const verbs = verbsOf(rt);
  const main: KubeObject = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs,
  };
  if (rt.shortNames.length > 0) main['shortNames'] = rt.shortNames;
  if (rt.categories.length > 0) main['categories'] = rt.categories;
  const out = [main];
  if (rt.hasStatusSubresource) {
    out.push({
      name: `${rt.plural}/status`,
      singularName: '',
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: VERBS_STATUS,
    });
  }
  return out;
}

export function apiResourceList(types: TypeRegistry, group: string, version: string): KubeObject | undefined {
  const inGv = types.inGroupVersion(group, version);
  if (inGv.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: inGv.flatMap(resourceEntries),
  };
}

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** True when the client prefers aggregated discovery (kubectl 1.32 lists v2, then v2beta1, then plain JSON). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0] ?? '';
  return /as=APIGroupDiscoveryList/.test(first) && /g=apidiscovery\.k8s\.io/.test(first) && /v=v2(;|$)/.test(first);
}

function resourceDiscovery(rt: ResourceType): KubeObject {
  const verbs = verbsOf(rt);
  const responseKind = { group: rt.group, version: rt.version, kind: rt.kind };
  const entry: KubeObject = {
    resource: rt.plural,
    responseKind,
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs,
  };
  if (rt.shortNames.length > 0) entry['shortNames'] = rt.shortNames;
  if (rt.categories.length > 0) entry['categories'] = rt.categories;
  if (rt.hasStatusSubresource) entry['subresources'] = [{ subresource: 'status', responseKind, verbs: VERBS_STATUS }];
  return entry;
}

/** `/api` (core group only) or `/apis` (every named group) as one aggregated document. */
export function aggregatedDiscovery(types: TypeRegistry, core: boolean): KubeObject {
  const items: KubeObject[] = [];
  for (const [group, versions] of types.groups()) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: { name: group },
      versions: versions.map((version) => ({
        version,
        resources: types.inGroupVersion(group, version).map(resourceDiscovery),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

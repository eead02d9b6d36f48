/**
 * OpenAPI v3 documents (/openapi/v3 and /openapi/v3/<gv>): paths and operations with their group-version-kind (so
 * kubectl sees that the server supports `fieldValidation` and skips client-side validation) and the schemas of every
 * kind served (see openapi-schemas.ts), which `kubectl explain` reads and kubectl's strategic merge patches use
 * (built-in lists carry their merge keys).
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type KubeObject, type ResourceType } from './resource-types.js';
import { schemasFor } from './openapi-schemas.js';
import type { TypeRegistry } from './type-registry.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const queryParam = (name: string): KubeObject => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const okResponse = { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } };

function operation(rt: ResourceType, action: string, extraParams: string[] = []): KubeObject {
  return {
    operationId: `${action}${rt.kind}`,
    parameters: extraParams.map(queryParam),
    responses: okResponse,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: rt.group, version: rt.version, kind: rt.kind },
  };
}

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

function pathsFor(rt: ResourceType): Record<string, KubeObject> {
  if (rt.review === true) {
    const post = {
      ...operation(rt, 'post', WRITE_PARAMS),
      requestBody: { content: { '*/*': { schema: { type: 'object' } } } },
    };
    return { [`/${gvPath(rt.group, rt.version)}/${rt.plural}`]: { post } };
  }
  const prefix = `/${gvPath(rt.group, rt.version)}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.plural}`;
  const patchBody = {
    required: true,
    content: {
      'application/json-patch+json': { schema: { type: 'object' } },
      'application/merge-patch+json': { schema: { type: 'object' } },
      'application/apply-patch+yaml': { schema: { type: 'object' } },
    },
  };
  const paths: Record<string, KubeObject> = {
    [prefix]: {
      get: operation(rt, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion']),
      post: {
        ...operation(rt, 'post', WRITE_PARAMS),
        requestBody: { content: { '*/*': { schema: { type: 'object' } } } },
      },
      delete: operation(rt, 'deletecollection'),
    },
    [`${prefix}/{name}`]: {
      get: operation(rt, 'get'),
      put: {
        ...operation(rt, 'put', WRITE_PARAMS),
        requestBody: { content: { '*/*': { schema: { type: 'object' } } } },
      },
      patch: { ...operation(rt, 'patch', [...WRITE_PARAMS, 'force']), requestBody: patchBody },
      delete: operation(rt, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
    },
  };
  if (rt.hasStatusSubresource) {
    paths[`${prefix}/{name}/status`] = {
      get: operation(rt, 'get'),
      put: operation(rt, 'put', WRITE_PARAMS),
      patch: { ...operation(rt, 'patch', [...WRITE_PARAMS, 'force']), requestBody: patchBody },
    };
  }
  return paths;
}

export async function openApiGroupVersion(
  types: TypeRegistry,
  group: string,
  version: string,
): Promise<KubeObject | undefined> {
  const inGv = types.inGroupVersion(group, version);
  if (inGv.length === 0) return undefined;
  const paths: Record<string, KubeObject> = {};
  for (const rt of inGv) Object.assign(paths, pathsFor(rt));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: await schemasFor(inGv) },
  };
}

/** The v3 index; the hash changes when the set of served types changes so clients refetch. */
export function openApiRoot(types: TypeRegistry): KubeObject {
  const paths: Record<string, KubeObject> = {};
  const seen = new Set<string>();
  for (const rt of types.all()) {
    const key = gvPath(rt.group, rt.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = createHash('sha256')
      .update(`${types.version}/${apiVersionOf(rt)}`)
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

/** `/openapi/v3/api/v1` → group '' version 'v1'; `/openapi/v3/apis/g/v` → g, v. */
export function parseOpenApiPath(pathname: string): { group: string; version: string } | 'root' | undefined {
  const rest = pathname.replace(/^\/openapi\/v3\/?/, '');
  if (rest === '') return 'root';
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts[0] === 'api' && parts.length === 2) return { group: '', version: parts[1]! };
  if (parts[0] === 'apis' && parts.length === 3) return { group: parts[1]!, version: parts[2]! };
  return undefined;
}

/** Protobuf length-delimited field (wire type 2) for the hand-encoded v2 document below. */
function protoField(fieldNumber: number, payload: Buffer): Buffer {
  const length: number[] = [];
  let n = payload.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([(fieldNumber << 3) | 2, ...length]), payload]);
}

/**
 * An OpenAPI v2 document with no definitions. kubectl falls back to v2 when a kind's group-version is not served
 * yet (a CR applied before its CRD): with an empty document it skips client-side validation and reports the real
 * "no matches for kind" error instead of a failed download. kubectl asks for the gnostic protobuf form:
 * Document{swagger=1, info=2{title=1, version=2}}.
 */
export function openApiV2Document(accept: string | undefined): { contentType: string; body: Buffer } {
  if (accept?.includes('application/json') && !accept.includes('protobuf')) {
    const json = { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} };
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(json)) };
  }
  const info = Buffer.concat([protoField(1, Buffer.from('Kubernetes')), protoField(2, Buffer.from('v1.32.0'))]);
  return {
    contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    body: Buffer.concat([protoField(1, Buffer.from('2.0')), protoField(2, info)]),
  };
}

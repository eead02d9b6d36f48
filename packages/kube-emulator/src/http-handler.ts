/**
 * The HTTP face of the emulator: routes each request to discovery, the resource service, the watch hub or the admin
 * endpoints, applies injected faults, and answers every failure with a Kubernetes Status object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
  wantsAggregatedDiscovery,
} from './discovery.js';
import { decodeProtobufObject } from './protobuf-bodies.js';
import { openApiGroupVersion, openApiRoot, openApiV2Document, parseOpenApiPath } from './openapi-documents.js';
import type { FaultInjector, RequestVerb } from './fault-injection.js';
import { parseApplyBody, patchKindOf } from './patching.js';
import { answerReview } from './access-reviews.js';
import { listJson } from './object-json.js';
import { parseDryRun, queryBool } from './query-options.js';
import { parseFieldValidation } from './schema-validation.js';
import { parseRoute, type Route } from './request-routing.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import type { DeleteOptions, ResourceService, WriteOptions } from './resource-service.js';
import {
  ApiError,
  badRequest,
  failureStatus,
  internalError,
  methodNotAllowed,
  notFound,
  pathNotFound,
  unsupportedMediaType,
} from './status-errors.js';
import { toTable, wantsTable } from './table-output.js';
import type { WatchHub } from './watch-streams.js';
import { OIDC_DISCOVERY_PATH, OIDC_JWKS_PATH, type ServiceAccountTokenIssuer } from './service-account-tokens.js';

export interface HandlerContext {
  service: ResourceService;
  watches: WatchHub;
  faults: FaultInjector;
  now: () => number;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token: string | undefined;
  serverAddress: () => string;
  admin: (action: string, body: KubeObject) => KubeObject;
  /** Signs TokenRequests and serves the OIDC discovery documents. */
  tokens: ServiceAccountTokenIssuer;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A write's answer with its warnings as `Warning: 299 - "<text>"` headers (kubectl prints them as `Warning: ...`). */
function sendWritten(res: ServerResponse, code: number, body: unknown, opts: WriteOptions): void {
  const warnings = opts.warnings ?? [];
  const headers = warnings.length === 0 ? {} : { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
  sendJson(res, code, body, headers);
}

function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {};
  const retry = err.status.details?.retryAfterSeconds;
  if (retry !== undefined) headers['Retry-After'] = String(retry);
  sendJson(res, err.status.code, err.status, headers);
}

async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(
        'BAD_REQUEST',
        failureStatus(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString('utf8');
}

/**
 * Request bodies in JSON, YAML (curl users), or protobuf for the few kinds kubectl's typed generators create; CBOR
 * and other protobuf kinds are refused with 415.
 */
function parseObjectBody(req: IncomingMessage, raw: Buffer): unknown {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(raw);
  const text = raw.toString('utf8');
  if (type === 'application/yaml') return text.trim() === '' ? undefined : parseApplyBody(text);
  if (type !== 'application/json' && type !== '*/*' && type !== '') {
    throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  return parseJsonBody(text);
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function verbOf(
  method: string,
  route: Extract<Route, { kind: 'resource' }>,
  query: URLSearchParams,
): RequestVerb | undefined {
  const watch = route.legacyWatch || queryBool(query, 'watch');
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return route.name === undefined ? 'list' : 'get';
    case 'POST':
      return route.name === undefined ? 'create' : undefined;
    case 'PUT':
      return route.name === undefined ? undefined : 'update';
    case 'PATCH':
      return route.name === undefined ? undefined : 'patch';
    case 'DELETE':
      return route.name === undefined ? 'deletecollection' : 'delete';
    default:
      return undefined;
  }
}

function optionalInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid ${name}: ${raw}`);
  return n;
}

export function createRequestHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((e: unknown) => {
      const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
      if (res.headersSent) {
        res.end();
        return;
      }
      sendError(res, err);
    });
  };
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const route = parseRoute(url.pathname);
  const method = req.method ?? 'GET';
  // Service-account issuer discovery is public, as on clusters that expose it to relying parties (AKS, AAD).
  if (method === 'GET' && url.pathname === OIDC_DISCOVERY_PATH)
    return sendJson(res, 200, ctx.tokens.openIdConfiguration());
  if (method === 'GET' && url.pathname === OIDC_JWKS_PATH) {
    return sendJson(res, 200, await ctx.tokens.jwks(), { 'Content-Type': 'application/jwk-set+json' });
  }
  if (ctx.token !== undefined && route.kind !== 'health' && req.headers.authorization !== `Bearer ${ctx.token}`) {
    sendJson(res, 401, failureStatus(401, 'Unauthorized', 'Unauthorized'));
    return;
  }
  if (ctx.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.latencyMs));
  switch (route.kind) {
    case 'version':
      return sendJson(res, 200, versionInfo());
    case 'health':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    case 'api':
      if (wantsAggregatedDiscovery(req.headers.accept)) {
        return sendJson(res, 200, aggregatedDiscovery(ctx.service.types, true), {
          'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE,
        });
      }
      return sendJson(res, 200, apiVersions(ctx.serverAddress()));
    case 'apis':
      if (wantsAggregatedDiscovery(req.headers.accept)) {
        return sendJson(res, 200, aggregatedDiscovery(ctx.service.types, false), {
          'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE,
        });
      }
      return sendJson(res, 200, apiGroupList(ctx.service.types));
    case 'group': {
      const g = apiGroup(ctx.service.types, route.group);
      if (g === undefined) throw pathNotFound();
      return sendJson(res, 200, g);
    }
    case 'resourceList': {
      const list = apiResourceList(ctx.service.types, route.group, route.version);
      if (list === undefined) throw pathNotFound();
      return sendJson(res, 200, list);
    }
    case 'openapiV2': {
      const doc = openApiV2Document(req.headers.accept);
      res.writeHead(200, { 'Content-Type': doc.contentType, 'Content-Length': doc.body.length });
      res.end(doc.body);
      return;
    }
    case 'openapi': {
      const target = parseOpenApiPath(route.pathname);
      const doc =
        target === 'root'
          ? openApiRoot(ctx.service.types)
          : target === undefined
            ? undefined
            : await openApiGroupVersion(ctx.service.types, target.group, target.version);
      if (doc === undefined) throw pathNotFound();
      return sendJson(res, 200, doc);
    }
    case 'admin': {
      if (method !== 'POST') throw methodNotAllowed();
      const body = (parseJsonBody(await readBody(req)) ?? {}) as KubeObject;
      return sendJson(res, 200, ctx.admin(route.action, body));
    }
    case 'unknown':
      throw pathNotFound();
    case 'resource':
      return handleResource(ctx, req, res, route, url.searchParams, method);
  }
}

async function handleResource(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: 'resource' }>,
  query: URLSearchParams,
  method: string,
): Promise<void> {
  const { service } = ctx;
  const rt = service.types.lookup(route.group, route.version, route.plural);
  if (rt === undefined) throw pathNotFound();
  if (route.namespace !== undefined && !rt.namespaced) throw pathNotFound();
  if (isTokenSubresource(rt, route)) {
    if (method !== 'POST') throw methodNotAllowed();
    const fault = ctx.faults.failureFor('create', 'serviceaccounts/token');
    if (fault !== undefined) throw fault;
    const body = parseObjectBody(req, await readRawBody(req));
    return sendJson(res, 201, await ctx.tokens.createToken(service, route.namespace!, route.name!, body));
  }
  const verb = verbOf(method, route, query);
  if (verb === undefined) throw methodNotAllowed();
  if (rt.review === true) {
    if (verb !== 'create' || route.namespace !== undefined) throw methodNotAllowed();
    parseDryRun(query, 'CreateOptions');
    return sendJson(res, 201, answerReview(rt, parseObjectBody(req, await readRawBody(req))));
  }
  if (route.subresource !== undefined && (route.subresource !== 'status' || !rt.hasStatusSubresource))
    throw pathNotFound();
  if (route.subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed();
  // A namespaced object addressed without a namespace only exists for collection reads.
  if (rt.namespaced && route.namespace === undefined && route.name !== undefined) throw notFound(rt, route.name);

  const fault = ctx.faults.failureFor(verb, rt.plural);
  if (fault !== undefined) throw fault;

  const namespace = route.namespace ?? '';
  const name = route.name ?? '';
  const subresource = route.subresource === 'status' ? 'status' : undefined;
  const table = wantsTable(req.headers.accept) ? (query.get('includeObject') ?? 'Metadata') : undefined;
  const listOptions = {
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
    limit: optionalInt(query, 'limit'),
    continueToken: query.get('continue') ?? undefined,
  };

  switch (verb) {
    case 'watch': {
      if (route.name !== undefined) {
        const byName = `metadata.name=${route.name}`;
        listOptions.fieldSelector = listOptions.fieldSelector ? `${listOptions.fieldSelector},${byName}` : byName;
      }
      ctx.watches.serve(
        {
          rt,
          namespace: route.namespace,
          predicate: service.selectorFor(rt, listOptions, undefined),
          resourceVersion: query.get('resourceVersion') ?? undefined,
          allowBookmarks: queryBool(query, 'allowWatchBookmarks'),
          timeoutSeconds: optionalInt(query, 'timeoutSeconds'),
          table: table === undefined ? undefined : { includeObject: table },
        },
        res,
      );
      return;
    }
    case 'list': {
      const list = service.list(rt, route.namespace, listOptions);
      if (table !== undefined) {
        return sendJson(
          res,
          200,
          toTable(rt, list['items'], {
            now: ctx.now(),
            includeObject: table,
            withColumns: true,
            listMetadata: list['metadata'],
          }),
        );
      }
      const text = listJson(list);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    case 'get': {
      const obj = service.get(rt, namespace, name);
      if (table !== undefined) {
        return sendJson(
          res,
          200,
          toTable(rt, [obj], {
            now: ctx.now(),
            includeObject: table,
            withColumns: true,
            listMetadata: { resourceVersion: obj['metadata'].resourceVersion },
          }),
        );
      }
      return sendJson(res, 200, obj);
    }
    case 'create': {
      const opts = writeOptions(req, query, 'CreateOptions');
      return sendWritten(
        res,
        201,
        service.create(rt, namespace, parseObjectBody(req, await readRawBody(req)), opts),
        opts,
      );
    }
    case 'update': {
      const opts = writeOptions(req, query, 'UpdateOptions');
      const body = parseObjectBody(req, await readRawBody(req));
      return sendWritten(res, 200, service.update(rt, namespace, name, body, subresource, opts), opts);
    }
    case 'patch': {
      const opts = writeOptions(req, query, 'PatchOptions');
      const kind = patchKindOf(req.headers['content-type'], rt);
      const raw = await readBody(req);
      const body = kind === 'apply' ? parseApplyBody(raw) : parseJsonBody(raw);
      const existed = service.exists(rt, namespace, name);
      const result = service.patch(rt, namespace, name, kind, body, subresource, opts);
      return sendWritten(res, existed ? 200 : 201, result, opts);
    }
    case 'delete': {
      const options = await readDeleteOptions(req, query);
      const opts = writeOptions(req, query, 'DeleteOptions', options.dryRun);
      const result = service.delete(rt, namespace, name, options, opts);
      const stillThere = opts.dryRun !== true && service.exists(rt, namespace, name);
      return sendJson(res, stillThere && !isNamespaces(rt) ? 202 : 200, result);
    }
    case 'deletecollection': {
      const options = await readDeleteOptions(req, query);
      const opts = writeOptions(req, query, 'DeleteOptions', options.dryRun);
      return sendJson(res, 200, service.deleteCollection(rt, route.namespace, listOptions, options, opts));
    }
  }
}

function isTokenSubresource(rt: ResourceType, route: Extract<Route, { kind: 'resource' }>): boolean {
  return (
    rt.group === '' &&
    rt.plural === 'serviceaccounts' &&
    route.subresource === 'token' &&
    route.namespace !== undefined &&
    route.name !== undefined
  );
}

/**
 * DeleteOptions come in the body (JSON; typed clients may send protobuf, whose preconditions we do not decode) and,
 * for `propagationPolicy`, `orphanDependents` and `dryRun`, in the query as well.
 */
async function readDeleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const rawOptions = await readRawBody(req);
  const isProtobuf = (req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  const options = (isProtobuf ? {} : (parseObjectBody(req, rawOptions) ?? {})) as DeleteOptions;
  const policy = query.get('propagationPolicy');
  if (policy !== null) options.propagationPolicy = policy;
  if (query.has('orphanDependents')) options.orphanDependents = queryBool(query, 'orphanDependents');
  return options;
}

/** The write options every mutating verb shares: `dryRun`, `fieldManager` (or the User-Agent's name), `force`. */
function writeOptions(
  req: IncomingMessage,
  query: URLSearchParams,
  optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions',
  dryRunFromBody?: unknown,
): WriteOptions {
  const opts: WriteOptions = { dryRun: parseDryRun(query, optionsKind, dryRunFromBody), warnings: [] };
  if (optionsKind !== 'DeleteOptions') opts.fieldValidation = parseFieldValidation(query.get('fieldValidation'));
  const manager = query.get('fieldManager');
  if (manager !== null && manager !== '') opts.fieldManager = manager;
  opts.defaultFieldManager = managerFromUserAgent(req.headers['user-agent']);
  if (queryBool(query, 'force')) opts.force = true;
  return opts;
}

/** The real server names an unnamed updater after its User-Agent's product (`kubectl-edit/v1.32 ...` → `kubectl-edit`). */
function managerFromUserAgent(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0]!.slice(0, 128);
}

function isNamespaces(rt: ResourceType): boolean {
  return rt.group === '' && rt.plural === 'namespaces';
}

import { API_GROUP, API_VERSION, type CrdKind, crdNames, GROUP_VERSION, type ParseResult } from '@podid/crd-types';
import { type KubeConnection, PatchType } from '../connection/kube-connection.js';
import { isNotFound, KubeClientError } from '../errors.js';
import { buildInvalidObjectReport, type InvalidObjectHandler, notifyInvalidObject } from '../invalid-object.js';
import { type KubeLogger, silentLogger } from '../logger.js';

export interface CustomResourceClientOptions {
  connection: Pick<KubeConnection, 'request'>;
  logger?: KubeLogger;
  /** Called for every object the server returns that fails validation (it is then skipped). */
  onInvalidObject?: InvalidObjectHandler;
  /** Objects per list page (default 500, as informers); servers that ignore `limit` return everything at once. */
  listPageSize?: number;
}

/** A JSON Patch (RFC 6902) operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

interface NamespacedObject {
  metadata: { name: string; namespace: string; resourceVersion?: string | undefined };
}

/**
 * Typed CRUD for one of the four namespaced aadpodidentity.k8s.io kinds over the connection's REST calls. Every
 * object read back is validated with crd-types; a malformed one is reported through `onInvalidObject`, logged, and
 * left out of list results (or turned into a `KUBE_INVALID_OBJECT` error for single-object calls) — never a crash.
 */
export class CustomResourceClient<T extends NamespacedObject> {
  readonly kind: CrdKind;
  protected readonly plural: string;
  protected readonly connection: Pick<KubeConnection, 'request'>;
  protected readonly logger: KubeLogger;
  private readonly parse: (raw: unknown) => ParseResult<T>;
  private readonly onInvalidObject: InvalidObjectHandler | undefined;
  private readonly listPageSize: number;

  constructor(kind: CrdKind, parse: (raw: unknown) => ParseResult<T>, options: CustomResourceClientOptions) {
    this.kind = kind;
    this.plural = crdNames[kind].plural;
    this.parse = parse;
    this.connection = options.connection;
    this.logger = options.logger ?? silentLogger;
    this.onInvalidObject = options.onInvalidObject;
    this.listPageSize = Math.max(1, options.listPageSize ?? 500);
  }

  /**
   * All valid objects in `namespace`, or in every namespace when it is omitted, read in pages (`limit`/`continue`) so
   * a cluster with tens of thousands of AzureAssignedIdentities is never fetched in one response.
   */
  async list(options: { namespace?: string; labelSelector?: string } = {}): Promise<T[]> {
    const valid: T[] = [];
    let continueToken: string | undefined;
    do {
      const response = await this.connection.request<{ items?: unknown; metadata?: { continue?: string } }>({
        method: 'GET',
        path: options.namespace === undefined ? this.collection() : this.collection(options.namespace),
        query: { limit: String(this.listPageSize), labelSelector: options.labelSelector, continue: continueToken },
      });
      for (const raw of Array.isArray(response.items) ? response.items : []) {
        const parsed = this.validate(raw, 'list');
        if (parsed !== undefined) valid.push(parsed);
      }
      continueToken = response.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return valid;
  }

  /** The object, or undefined when it does not exist. */
  async get(namespace: string, name: string): Promise<T | undefined> {
    try {
      const raw = await this.connection.request({ method: 'GET', path: this.objectPath(namespace, name) });
      return this.require(raw, 'get');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** POST. `apiVersion` and `kind` are filled in when missing. */
  async create(object: T): Promise<T> {
    const raw = await this.connection.request({
      method: 'POST',
      path: this.collection(object.metadata.namespace),
      body: this.withTypeMeta(object),
    });
    return this.require(raw, 'write');
  }

  /** PUT of the whole object; its `metadata.resourceVersion`, when set, makes the write conditional (409 on a race). */
  async replace(object: T): Promise<T> {
    const raw = await this.connection.request({
      method: 'PUT',
      path: this.objectPath(object.metadata.namespace, object.metadata.name),
      body: this.withTypeMeta(object),
    });
    return this.require(raw, 'write');
  }

  /** `application/json-patch+json` against the object itself (none of the four kinds has a status subresource). */
  async patchJson(namespace: string, name: string, operations: readonly JsonPatchOperation[]): Promise<T> {
    const raw = await this.connection.request({
      method: 'PATCH',
      path: this.objectPath(namespace, name),
      body: operations,
      contentType: PatchType.JsonPatch,
    });
    return this.require(raw, 'write');
  }

  /** DELETE; an object that is already gone counts as deleted. Returns what the server answered, if anything. */
  async delete(namespace: string, name: string): Promise<unknown> {
    try {
      return await this.connection.request({ method: 'DELETE', path: this.objectPath(namespace, name) });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** `/apis/aadpodidentity.k8s.io/v1[/namespaces/<ns>]/<plural>` */
  protected collection(namespace?: string): string {
    const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    return `/apis/${API_GROUP}/${API_VERSION}${scope}/${this.plural}`;
  }

  protected objectPath(namespace: string, name: string): string {
    return `${this.collection(namespace)}/${encodeURIComponent(name)}`;
  }

  private withTypeMeta(object: T): T & { apiVersion: string; kind: string } {
    return { ...object, apiVersion: GROUP_VERSION, kind: this.kind };
  }

  private validate(raw: unknown, source: 'list' | 'get' | 'write'): T | undefined {
    const parsed = this.parse(raw);
    if (parsed.ok) return parsed.value;
    const report = buildInvalidObjectReport(raw, parsed.error, source, { apiVersion: GROUP_VERSION, kind: this.kind });
    this.logger.warn(
      { kind: this.kind, namespace: report.namespace, name: report.name, path: parsed.error.path },
      `skipping invalid object: ${parsed.error.message}`,
    );
    notifyInvalidObject(this.onInvalidObject, report, this.logger);
    return undefined;
  }

  private require(raw: unknown, source: 'get' | 'write'): T {
    const parsed = this.validate(raw, source);
    if (parsed === undefined) {
      throw new KubeClientError('KUBE_INVALID_OBJECT', `the API server returned an invalid ${this.kind}`);
    }
    return parsed;
  }
}

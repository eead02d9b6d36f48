import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type CrdKind, crdNames, GROUP_VERSION, type ParseResult } from '@podid/crd-types';
import type { KubeConnection } from '../connection/kube-connection.js';
import { isNotFound, KubeClientError } from '../errors.js';
import { buildInvalidObjectReport, type InvalidObjectHandler, notifyInvalidObject } from '../invalid-object.js';
import { type KubeLogger, silentLogger } from '../logger.js';

export interface CustomResourceClientOptions {
  connection: Pick<KubeConnection, 'customObjects'>;
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
 * Typed CRUD for one of the four namespaced aadpodidentity.k8s.io kinds over client-node's CustomObjectsApi. Every
 * object read back is validated with crd-types; a malformed one is reported through `onInvalidObject`, logged, and
 * left out of list results (or turned into a `KUBE_INVALID_OBJECT` error for single-object calls) — never a crash.
 */
export class CustomResourceClient<T extends NamespacedObject> {
  readonly kind: CrdKind;
  protected readonly plural: string;
  protected readonly api: KubeConnection['customObjects'];
  protected readonly logger: KubeLogger;
  private readonly parse: (raw: unknown) => ParseResult<T>;
  private readonly onInvalidObject: InvalidObjectHandler | undefined;
  private readonly listPageSize: number;

  constructor(kind: CrdKind, parse: (raw: unknown) => ParseResult<T>, options: CustomResourceClientOptions) {
    this.kind = kind;
    this.plural = crdNames[kind].plural;
    this.parse = parse;
    this.api = options.connection.customObjects;
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
      const page = {
        group: API_GROUP,
        version: API_VERSION,
        plural: this.plural,
        limit: this.listPageSize,
        ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
        ...(continueToken === undefined ? {} : { _continue: continueToken }),
      };
      const response = (
        options.namespace === undefined
          ? await this.api.listClusterCustomObject(page)
          : await this.api.listNamespacedCustomObject({ ...page, namespace: options.namespace })
      ) as { items?: unknown; metadata?: { continue?: string } };
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
      const raw = await this.api.getNamespacedCustomObject({ ...this.target(namespace), name });
      return this.require(raw, 'get');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** POST. `apiVersion` and `kind` are filled in when missing. */
  async create(object: T): Promise<T> {
    const raw = await this.api.createNamespacedCustomObject({
      ...this.target(object.metadata.namespace),
      body: this.withTypeMeta(object),
    });
    return this.require(raw, 'write');
  }

  /** PUT of the whole object; its `metadata.resourceVersion`, when set, makes the write conditional (409 on a race). */
  async replace(object: T): Promise<T> {
    const raw = await this.api.replaceNamespacedCustomObject({
      ...this.target(object.metadata.namespace),
      name: object.metadata.name,
      body: this.withTypeMeta(object),
    });
    return this.require(raw, 'write');
  }

  /** `application/json-patch+json` against the object itself (none of the four kinds has a status subresource). */
  async patchJson(namespace: string, name: string, operations: readonly JsonPatchOperation[]): Promise<T> {
    const raw = await this.api.patchNamespacedCustomObject(
      { ...this.target(namespace), name, body: operations },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    return this.require(raw, 'write');
  }

  /** DELETE; an object that is already gone counts as deleted. Returns what the server answered, if anything. */
  async delete(namespace: string, name: string): Promise<unknown> {
    try {
      return await this.api.deleteNamespacedCustomObject({ ...this.target(namespace), name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  protected target(namespace: string) {
    return { group: API_GROUP, version: API_VERSION, namespace, plural: this.plural };
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

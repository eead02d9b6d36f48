import type { ObjectParseError } from '@podid/crd-types';
import type { KubeLogger } from './logger.js';

/** Where a malformed object was met. */
export type InvalidObjectSource = 'list' | 'watch' | 'get' | 'write';

/** A cluster object that failed schema validation and was therefore skipped. */
export interface InvalidObjectReport {
  readonly apiVersion: string | undefined;
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly uid: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly source: InvalidObjectSource;
  readonly error: ObjectParseError;
}

/** Called once per malformed object version: never throws into the caller (errors inside are swallowed). */
export type InvalidObjectHandler = (report: InvalidObjectReport) => void;

/** Reads the identifying fields of a raw object without trusting its shape. */
export function rawObjectIdentity(raw: unknown): {
  apiVersion: string | undefined;
  kind: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  uid: string | undefined;
  resourceVersion: string | undefined;
} {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const metadata =
    typeof record['metadata'] === 'object' && record['metadata'] !== null
      ? (record['metadata'] as Record<string, unknown>)
      : {};
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    apiVersion: text(record['apiVersion']),
    kind: text(record['kind']),
    namespace: text(metadata['namespace']),
    name: text(metadata['name']),
    uid: text(metadata['uid']),
    resourceVersion: text(metadata['resourceVersion']),
  };
}

export function buildInvalidObjectReport(
  raw: unknown,
  error: ObjectParseError,
  source: InvalidObjectSource,
  defaults: { apiVersion: string; kind: string },
): InvalidObjectReport {
  const identity = rawObjectIdentity(raw);
  return {
    apiVersion: identity.apiVersion ?? defaults.apiVersion,
    kind: identity.kind ?? defaults.kind,
    namespace: identity.namespace,
    name: identity.name,
    uid: identity.uid,
    resourceVersion: identity.resourceVersion,
    source,
    error,
  };
}

/** Calls a user hook without letting its failure break the informer or client that met the bad object. */
export function notifyInvalidObject(
  handler: InvalidObjectHandler | undefined,
  report: InvalidObjectReport,
  logger: KubeLogger,
): void {
  if (!handler) return;
  try {
    handler(report);
  } catch (error) {
    logger.error({ err: error, kind: report.kind, name: report.name }, 'invalid-object handler threw');
  }
}

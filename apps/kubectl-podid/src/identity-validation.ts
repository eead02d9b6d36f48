import { CrdKind } from '@podid/crd-types';
import type { InvalidObjectReport } from '@podid/kube-client';

/**
 * Reason codes meaning "the identity exists but MIC will not use it". `invalid_resource_id` comes from
 * `@podid/matcher` (the §2.13 check MIC applies); `identity_invalid` is an AzureIdentity that fails crd-types'
 * schema, which MIC's informers drop (so to the matcher it looks missing). When MIC gains further identity
 * validation as a matcher skip code, list that code here: explain already prints any matcher code with its message,
 * this set only decides which of them count as "identity invalid" in summaries.
 */
export const IDENTITY_INVALID_CODES: ReadonlySet<string> = new Set([
  'invalid_resource_id',
  'identity_invalid',
  // crd-types' validateAzureIdentity as a matcher skip code (issue 18, the MIC-input branch).
  'invalid_identity',
]);

/**
 * The validation error of an AzureIdentity that exists in the cluster but was left out because it failed the schema
 * check MIC's CRD clients apply; undefined when no such report exists.
 */
export function schemaValidationError(
  identity: { readonly namespace: string; readonly name: string },
  invalidObjects: readonly InvalidObjectReport[],
): string | undefined {
  const report = invalidObjects.find(
    (r) => r.kind === CrdKind.AzureIdentity && r.namespace === identity.namespace && r.name === identity.name,
  );
  return report?.error.message;
}

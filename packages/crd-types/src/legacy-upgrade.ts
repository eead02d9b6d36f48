import type { z } from 'zod';
import { decodeCaseInsensitive } from './case-insensitive-decode.js';
import type { CrdKind } from './constants.js';
import { azureAssignedIdentitySchema } from './schemas/azure-assigned-identity.js';
import { azureIdentityBindingSchema } from './schemas/azure-identity-binding.js';
import { azureIdentitySchema } from './schemas/azure-identity.js';
import { azurePodIdentityExceptionSchema } from './schemas/azure-pod-identity-exception.js';

const schemaByKind: Readonly<Record<CrdKind, z.ZodType>> = {
  AzureIdentity: azureIdentitySchema,
  AzureIdentityBinding: azureIdentityBindingSchema,
  AzureAssignedIdentity: azureAssignedIdentitySchema,
  AzurePodIdentityException: azurePodIdentityExceptionSchema,
};

export interface LegacyUpgradeResult {
  /** The object with camelCase field names (the same reference when nothing changed). */
  readonly value: unknown;
  /** True when the object used legacy spellings and must be written back (MIC's type upgrade, §1.7). */
  readonly changed: boolean;
}

/**
 * Rewrites pre-1.6 field spellings (`ClientID`, `ResourceID`, `Selector`, `PodLabels`, `Status`, lower-case
 * `clientid` …) of one of the four kinds to the v1 camelCase names, including inside an AzureAssignedIdentity's
 * embedded refs. Unknown fields and map keys are kept unchanged. Does not validate: parse the result for that.
 */
export function upgradeLegacyFields(kind: CrdKind, obj: unknown): LegacyUpgradeResult {
  return decodeCaseInsensitive(schemaByKind[kind], obj);
}

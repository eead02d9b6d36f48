import { z } from 'zod';
import { azureIdentityBindingSchema } from './azure-identity-binding.js';
import { azureIdentityRefSchema } from './azure-identity.js';
import { listMetaSchema, objectMetaSchema, unusedObjectMetaSchema } from './object-meta.js';

/**
 * `AzureAssignedIdentity.spec` (§1.4): written by MIC only. The refs are full copies of the matched objects,
 * including their resourceVersion (§2.6 compares them). Note the lower-case JSON key `nodename`.
 */
export const azureAssignedIdentitySpecSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  azureIdentityRef: azureIdentityRefSchema.optional(),
  azureBindingRef: azureIdentityBindingSchema.optional(),
  pod: z.string().optional(),
  podNamespace: z.string().optional(),
  nodename: z.string().optional(),
  replicas: z.int().nullable().optional(),
});

/** `status.status` is a plain string: Created/Assigned/Unassigned, or empty on pre-1.5 objects (§1.4). */
export const azureAssignedIdentityStatusSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  availableReplicas: z.int().optional(),
  status: z.string().optional(),
});

export const azureAssignedIdentitySchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureAssignedIdentity').optional(),
  metadata: objectMetaSchema,
  spec: azureAssignedIdentitySpecSchema.default({}),
  status: azureAssignedIdentityStatusSchema.optional(),
});

export const azureAssignedIdentityListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureAssignedIdentityList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(azureAssignedIdentitySchema),
});

export type AzureAssignedIdentitySpec = z.infer<typeof azureAssignedIdentitySpecSchema>;
export type AzureAssignedIdentityStatus = z.infer<typeof azureAssignedIdentityStatusSchema>;
export type AzureAssignedIdentity = z.infer<typeof azureAssignedIdentitySchema>;
export type AzureAssignedIdentityList = z.infer<typeof azureAssignedIdentityListSchema>;

import { z } from 'zod';
import { listMetaSchema, objectMetaSchema, unusedObjectMetaSchema } from './object-meta.js';

/** `AzureIdentityBinding.spec` (§1.3). `weight` is declared upstream but never read. */
export const azureIdentityBindingSpecSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  azureIdentity: z.string().optional(),
  selector: z.string().optional(),
  weight: z.int().optional(),
});

export const azureIdentityBindingStatusSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  availableReplicas: z.int().optional(),
});

export const azureIdentityBindingSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureIdentityBinding').optional(),
  metadata: objectMetaSchema,
  spec: azureIdentityBindingSpecSchema.default({}),
  status: azureIdentityBindingStatusSchema.optional(),
});

export const azureIdentityBindingListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzureIdentityBindingList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(azureIdentityBindingSchema),
});

export type AzureIdentityBindingSpec = z.infer<typeof azureIdentityBindingSpecSchema>;
export type AzureIdentityBindingStatus = z.infer<typeof azureIdentityBindingStatusSchema>;
export type AzureIdentityBinding = z.infer<typeof azureIdentityBindingSchema>;
export type AzureIdentityBindingList = z.infer<typeof azureIdentityBindingListSchema>;

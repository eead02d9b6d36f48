import { z } from 'zod';
import { listMetaSchema, objectMetaSchema, stringMapSchema, unusedObjectMetaSchema } from './object-meta.js';

/** `AzurePodIdentityException.spec` (§1.5): pods in the same namespace with any of these labels bypass NMI checks. */
export const azurePodIdentityExceptionSpecSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  podLabels: stringMapSchema.optional(),
});

export const azurePodIdentityExceptionStatusSchema = z.looseObject({
  metadata: unusedObjectMetaSchema.optional(),
  status: z.string().optional(),
});

export const azurePodIdentityExceptionSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzurePodIdentityException').optional(),
  metadata: objectMetaSchema,
  spec: azurePodIdentityExceptionSpecSchema.default({}),
  status: azurePodIdentityExceptionStatusSchema.optional(),
});

export const azurePodIdentityExceptionListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('AzurePodIdentityExceptionList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(azurePodIdentityExceptionSchema),
});

export type AzurePodIdentityExceptionSpec = z.infer<typeof azurePodIdentityExceptionSpecSchema>;
export type AzurePodIdentityExceptionStatus = z.infer<typeof azurePodIdentityExceptionStatusSchema>;
export type AzurePodIdentityException = z.infer<typeof azurePodIdentityExceptionSchema>;
export type AzurePodIdentityExceptionList = z.infer<typeof azurePodIdentityExceptionListSchema>;

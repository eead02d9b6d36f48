import { z } from 'zod';

/**
 * Kubernetes ObjectMeta, reduced to the fields podid reads. Every object schema in this package is "loose":
 * unknown fields are kept, so an object read from the cluster and written back loses nothing.
 */

/** RFC 3339 string on the wire; `@kubernetes/client-node`'s typed models turn it into a Date. Both are accepted. */
export const timestampSchema = z.union([z.string(), z.date()]);

export const stringMapSchema = z.record(z.string(), z.string());

export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

const objectMetaFields = {
  name: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: timestampSchema.optional(),
  deletionTimestamp: timestampSchema.optional(),
  labels: stringMapSchema.optional(),
  annotations: stringMapSchema.optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
};

/** Metadata of a cluster-scoped object (Node). */
export const clusterObjectMetaSchema = z.looseObject(objectMetaFields);

/** Metadata of a namespaced object: every kind podid handles except Node. */
export const objectMetaSchema = z.looseObject({ ...objectMetaFields, namespace: z.string() });

/**
 * The `metadata` property inside `spec` and `status` of all four CRDs: an artefact of upstream's Go types embedding
 * ObjectMeta (§1.1). Never read; kept so that old objects validate and round-trip.
 */
export const unusedObjectMetaSchema = z.looseObject({});

/** Metadata of a List response. */
export const listMetaSchema = z.looseObject({
  resourceVersion: z.string().optional(),
  continue: z.string().optional(),
});

export type ObjectMeta = z.infer<typeof objectMetaSchema>;
export type ClusterObjectMeta = z.infer<typeof clusterObjectMetaSchema>;
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

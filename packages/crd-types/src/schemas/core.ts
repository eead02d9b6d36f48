import { z } from 'zod';
import { clusterObjectMetaSchema, listMetaSchema, objectMetaSchema } from './object-meta.js';

/**
 * The part of core/v1 Pod and Node that MIC and NMI read. Loose: everything else on the object is kept as-is.
 * `spec` and `status` are optional because watch events and hand-made test objects may lack them.
 */

export const podSpecSchema = z.looseObject({
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
});

export const podIpSchema = z.looseObject({ ip: z.string() });

export const podStatusSchema = z.looseObject({
  podIP: z.string().optional(),
  podIPs: z.array(podIpSchema).optional(),
  /** Pending, Running, Succeeded, Failed, Unknown. */
  phase: z.string().optional(),
});

export const podSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Pod').optional(),
  metadata: objectMetaSchema,
  spec: podSpecSchema.optional(),
  status: podStatusSchema.optional(),
});

export const podListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('PodList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(podSchema),
});

export const nodeSpecSchema = z.looseObject({
  /** `azure:///subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/...` on Azure nodes. */
  providerID: z.string().optional(),
});

export const nodeSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Node').optional(),
  metadata: clusterObjectMetaSchema,
  spec: nodeSpecSchema.optional(),
});

export const nodeListSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('NodeList').optional(),
  metadata: listMetaSchema.optional(),
  items: z.array(nodeSchema),
});

export type PodSpec = z.infer<typeof podSpecSchema>;
export type PodStatus = z.infer<typeof podStatusSchema>;
export type Pod = z.infer<typeof podSchema>;
export type PodList = z.infer<typeof podListSchema>;
export type NodeSpec = z.infer<typeof nodeSpecSchema>;
export type Node = z.infer<typeof nodeSchema>;
export type NodeList = z.infer<typeof nodeListSchema>;

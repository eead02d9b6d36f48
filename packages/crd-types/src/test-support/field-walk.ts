import { z } from 'zod';
import type { OpenApiSchema } from '../manifests/types.js';
import { clusterObjectMetaSchema, objectMetaSchema, unusedObjectMetaSchema } from '../schemas/object-meta.js';
import { arrayElement, objectFields, recordValue } from '../schema-shape.js';

/** One field as both descriptions see it: `path type[?nullable]`, e.g. `spec.replicas integer nullable`. */
export type FieldLine = string;

/** ObjectMeta is validated by the API server, not by our CRD schema: both walks stop there. */
const opaqueMetadata: ReadonlySet<z.ZodType> = new Set<z.ZodType>([
  objectMetaSchema,
  clusterObjectMetaSchema,
  unusedObjectMetaSchema,
]);

function zodTypeName(schema: z.ZodType): string {
  if (objectFields(schema) !== undefined || recordValue(schema) !== undefined) return 'object';
  if (arrayElement(schema) !== undefined) return 'array';
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  if (inner instanceof z.ZodNumber) return inner.isInt ? 'integer' : 'number';
  if (inner instanceof z.ZodString || inner instanceof z.ZodLiteral) return 'string';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  return 'unknown';
}

function zodNullable(schema: z.ZodType): boolean {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    if (inner instanceof z.ZodNullable) return true;
    inner = inner.unwrap() as z.ZodType;
  }
  return false;
}

function unwrapped(schema: z.ZodType): z.ZodType {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

export function zodFields(schema: z.ZodType, prefix = ''): FieldLine[] {
  const lines: FieldLine[] = [];
  const fields = objectFields(schema);
  if (fields !== undefined) {
    for (const [key, child] of Object.entries(fields)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      lines.push(`${path} ${zodTypeName(child)}${zodNullable(child) ? ' nullable' : ''}`);
      if (!opaqueMetadata.has(unwrapped(child))) lines.push(...zodFields(child, path));
    }
    return lines;
  }
  const element = arrayElement(schema);
  if (element !== undefined) {
    lines.push(`${prefix}[] ${zodTypeName(element)}`, ...zodFields(element, `${prefix}[]`));
    return lines;
  }
  const value = recordValue(schema);
  if (value !== undefined) lines.push(`${prefix}{} ${zodTypeName(value)}`, ...zodFields(value, `${prefix}{}`));
  return lines;
}

export function openApiFields(schema: OpenApiSchema, prefix = ''): FieldLine[] {
  const lines: FieldLine[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    lines.push(`${path} ${child.type ?? 'unknown'}${child.nullable === true ? ' nullable' : ''}`);
    lines.push(...openApiFields(child, path));
  }
  if (schema.items !== undefined) {
    lines.push(`${prefix}[] ${schema.items.type ?? 'unknown'}`, ...openApiFields(schema.items, `${prefix}[]`));
  }
  if (schema.additionalProperties !== undefined) {
    lines.push(
      `${prefix}{} ${schema.additionalProperties.type ?? 'unknown'}`,
      ...openApiFields(schema.additionalProperties, `${prefix}{}`),
    );
  }
  return lines;
}

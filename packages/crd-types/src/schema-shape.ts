import { z } from 'zod';

/**
 * Minimal zod introspection shared by the case-insensitive decoder and the manifest/schema consistency test.
 * Only the constructs used by this package's schemas are understood.
 */

/** Strips optional/nullable/default wrappers to reach the schema that describes the value's shape. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The named fields of an object schema, or undefined when the schema is not an object. */
export function objectFields(schema: z.ZodType): Readonly<Record<string, z.ZodType>> | undefined {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** Element schema of an array schema, or undefined. */
export function arrayElement(schema: z.ZodType): z.ZodType | undefined {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
}

/** Value schema of a record (map) schema, or undefined. */
export function recordValue(schema: z.ZodType): z.ZodType | undefined {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodRecord ? (inner._zod.def.valueType as z.ZodType) : undefined;
}

/**
 * Custom resources checked against their CRD version's structural schema, as the real API server does it:
 * 1. decoding prunes fields the schema does not declare (kept under `x-kubernetes-preserve-unknown-fields`), and
 *    drops `null` where the schema is not `nullable`; with `fieldValidation=Strict` an unknown field is a 400
 *    (`strict decoding error: unknown field "spec.x"`), with `Warn` (the default) a warning per pruned field;
 * 2. `default`s are filled in;
 * 3. validation answers 422 Invalid with one cause per problem: FieldValueTypeInvalid, FieldValueRequired,
 *    FieldValueNotSupported (enum), FieldValueInvalid (minimum, maximum, pattern), in the real messages.
 * `metadata`, `apiVersion` and `kind` at the root and in `x-kubernetes-embedded-resource` objects are ObjectMeta
 * and type information, never pruned by the schema.
 */
import type { KubeObject, ResourceType } from './resource-types.js';
import { ApiError, badRequest, failureStatus, type StatusCause } from './status-errors.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

function isPlainObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** How Go's field errors print a value: strings quoted, numbers and booleans bare. */
function printValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function typeMatches(schema: KubeObject, v: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof v === 'string' || Number.isInteger(v);
  switch (schema['type']) {
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

class SchemaWalker {
  readonly causes: StatusCause[] = [];
  readonly unknownFields: string[] = [];

  /** Prunes and defaults `value` in place (objects and arrays), collecting validation causes. */
  visit(schema: KubeObject | undefined, value: unknown, path: string): void {
    if (schema === undefined) return;
    if (value === null && schema['nullable'] === true) return;
    if (!typeMatches(schema, value)) {
      const actual = typeName(value);
      this.causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${path} in body must be of type ${schema['type']}: "${actual}"`,
        field: path,
      });
      return;
    }
    if (
      Array.isArray(schema['enum']) &&
      !schema['enum'].some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))
    ) {
      this.causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${printValue(value)}: supported values: ${schema['enum']
          .map((e: unknown) => `"${typeof e === 'string' ? e : JSON.stringify(e)}"`)
          .join(', ')}`,
        field: path,
      });
    }
    if (typeof value === 'number') this.checkBounds(schema, value, path);
    if (
      typeof value === 'string' &&
      typeof schema['pattern'] === 'string' &&
      !new RegExp(schema['pattern'], 'u').test(value)
    ) {
      this.invalid(path, value, `should match '${schema['pattern']}'`);
    }
    // An embedded resource's apiVersion, kind and metadata are the object's own (ObjectMeta), as at the root.
    if (isPlainObject(value)) this.visitObject(schema, value, path, schema['x-kubernetes-embedded-resource'] === true);
    else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) this.visit(schema['items'], item, `${path}[${i}]`);
    }
  }

  private invalid(path: string, value: unknown, why: string): void {
    this.causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${printValue(value)}: ${path} in body ${why}`,
      field: path,
    });
  }

  private checkBounds(schema: KubeObject, value: number, path: string): void {
    const max = schema['maximum'];
    if (typeof max === 'number') {
      if (schema['exclusiveMaximum'] === true ? value >= max : value > max)
        this.invalid(
          path,
          value,
          `should be less than ${schema['exclusiveMaximum'] === true ? '' : 'or equal to '}${max}`,
        );
    }
    const min = schema['minimum'];
    if (typeof min === 'number') {
      if (schema['exclusiveMinimum'] === true ? value <= min : value < min)
        this.invalid(
          path,
          value,
          `should be greater than ${schema['exclusiveMinimum'] === true ? '' : 'or equal to '}${min}`,
        );
    }
  }

  private visitObject(schema: KubeObject, value: KubeObject, path: string, root = false): void {
    const properties: KubeObject | undefined = isPlainObject(schema['properties']) ? schema['properties'] : undefined;
    const additional = schema['additionalProperties'];
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const child = (key: string): string => (path === '' ? key : `${path}.${key}`);
    for (const key of Object.keys(value)) {
      if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
      const sub: KubeObject | undefined = properties?.[key] ?? (isPlainObject(additional) ? additional : undefined);
      if (sub === undefined) {
        if (!preserve && additional !== true) {
          this.unknownFields.push(child(key));
          delete value[key];
        }
        continue;
      }
      if (value[key] === null && sub['nullable'] !== true) {
        // Structural schemas drop nulls that are not nullable before defaulting and validation.
        delete value[key];
        continue;
      }
      this.visit(sub, value[key], child(key));
    }
    for (const [key, sub] of Object.entries(properties ?? {})) {
      if (value[key] === undefined && isPlainObject(sub) && sub['default'] !== undefined)
        value[key] = structuredClone(sub['default']);
    }
    for (const key of Array.isArray(schema['required']) ? schema['required'] : []) {
      if (value[key] === undefined)
        this.causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: child(String(key)) });
    }
  }

  visitRoot(schema: KubeObject, obj: KubeObject): void {
    this.visitObject(schema, obj, '', true);
  }
}

/**
 * Prunes, defaults and validates `obj` (in place) against the type's schema. Returns the warnings to send (one per
 * pruned field under `Warn`); throws 400 for unknown fields under `Strict`, 422 for invalid values.
 */
export function validateCustomResource(rt: ResourceType, obj: KubeObject, fieldValidation: FieldValidation): string[] {
  const schema = rt.schema;
  if (schema === undefined) return [];
  const walker = new SchemaWalker();
  walker.visitRoot(schema, obj);
  if (walker.unknownFields.length > 0 && fieldValidation === 'Strict') {
    const fields = walker.unknownFields.map((f) => `unknown field "${f}"`).join(', ');
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${fields}`,
    );
  }
  if (walker.causes.length > 0) {
    const name = String(obj['metadata']?.name ?? '');
    const summary = walker.causes.map((c) => `${c.field}: ${c.message}`);
    const qualifiedKind = `${rt.kind}.${rt.group}`;
    const message =
      summary.length === 1
        ? `${qualifiedKind} "${name}" is invalid: ${summary[0]}`
        : `${qualifiedKind} "${name}" is invalid: [${summary.join(', ')}]`;
    throw new ApiError(
      'INVALID',
      failureStatus(422, 'Invalid', message, { name, group: rt.group, kind: rt.kind, causes: walker.causes }),
    );
  }
  return fieldValidation === 'Warn' ? walker.unknownFields.map((f) => `unknown field "${f}"`) : [];
}

/** The `fieldValidation` query parameter; absent means Warn (the real server's default since 1.27). */
export function parseFieldValidation(raw: string | null): FieldValidation {
  if (raw === null || raw === '') return 'Warn';
  if (raw === 'Ignore' || raw === 'Warn' || raw === 'Strict') return raw;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${raw}"`);
}

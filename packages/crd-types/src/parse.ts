import type { z } from 'zod';
import { decodeCaseInsensitive } from './case-insensitive-decode.js';
import type { CrdKind } from './constants.js';
import { type AzureAssignedIdentity, azureAssignedIdentitySchema } from './schemas/azure-assigned-identity.js';
import { type AzureIdentityBinding, azureIdentityBindingSchema } from './schemas/azure-identity-binding.js';
import { type AzureIdentity, azureIdentitySchema } from './schemas/azure-identity.js';
import {
  type AzurePodIdentityException,
  azurePodIdentityExceptionSchema,
} from './schemas/azure-pod-identity-exception.js';
import { type Node, nodeSchema, type Pod, podSchema } from './schemas/core.js';

export type ObjectParseErrorCode = 'not_an_object' | 'wrong_kind' | 'invalid_field';

/** Why an object from the cluster could not be used; names the object and the offending field. */
export interface ObjectParseError {
  readonly code: ObjectParseErrorCode;
  readonly message: string;
  /** The kind the caller expected. */
  readonly kind: CrdKind | 'Pod' | 'Node';
  readonly name: string | undefined;
  readonly namespace: string | undefined;
  /** Dotted path of the bad field (`spec.type`, `metadata.labels.app`); empty for the whole object. */
  readonly path: string;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ObjectParseError };

type ParsedKind = ObjectParseError['kind'];

function readMetaString(obj: Record<string, unknown>, key: 'name' | 'namespace'): string | undefined {
  const meta = obj['metadata'];
  if (typeof meta !== 'object' || meta === null) return undefined;
  const value = (meta as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describe(kind: ParsedKind, name: string | undefined, namespace: string | undefined): string {
  const who = name === undefined ? '<unnamed>' : namespace === undefined ? name : `${namespace}/${name}`;
  return `${kind} ${who}`;
}

function makeParser<T>(
  kind: ParsedKind,
  schema: z.ZodType<T>,
  caseInsensitive: boolean,
): (obj: unknown) => ParseResult<T> {
  return (obj) => {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      return {
        ok: false,
        error: {
          code: 'not_an_object',
          message: `${kind}: expected an object, received ${obj === null ? 'null' : Array.isArray(obj) ? 'array' : typeof obj}`,
          kind,
          name: undefined,
          namespace: undefined,
          path: '',
        },
      };
    }
    const input = caseInsensitive ? decodeCaseInsensitive(schema, obj).value : obj;
    const parsed = schema.safeParse(input);
    if (parsed.success) return { ok: true, value: parsed.data };

    const record = input as Record<string, unknown>;
    const name = readMetaString(record, 'name');
    const namespace = readMetaString(record, 'namespace');
    const issue = parsed.error.issues[0]!;
    const path = formatPath(issue.path);
    const code: ObjectParseErrorCode = path === 'kind' ? 'wrong_kind' : 'invalid_field';
    return {
      ok: false,
      error: {
        code,
        message: `${describe(kind, name, namespace)}: invalid field ${path === '' ? '<root>' : path}: ${issue.message}`,
        kind,
        name,
        namespace,
        path,
      },
    };
  };
}

/** Parses an AzureIdentity from cluster data; legacy capitalised fields (§1.7) are accepted. Never throws. */
export const parseAzureIdentity: (obj: unknown) => ParseResult<AzureIdentity> = makeParser(
  'AzureIdentity',
  azureIdentitySchema,
  true,
);
export const parseAzureIdentityBinding: (obj: unknown) => ParseResult<AzureIdentityBinding> = makeParser(
  'AzureIdentityBinding',
  azureIdentityBindingSchema,
  true,
);
export const parseAzureAssignedIdentity: (obj: unknown) => ParseResult<AzureAssignedIdentity> = makeParser(
  'AzureAssignedIdentity',
  azureAssignedIdentitySchema,
  true,
);
export const parseAzurePodIdentityException: (obj: unknown) => ParseResult<AzurePodIdentityException> = makeParser(
  'AzurePodIdentityException',
  azurePodIdentityExceptionSchema,
  true,
);
/** Core objects come from the API server's own types, which never had other spellings: decoded exactly. */
export const parsePod: (obj: unknown) => ParseResult<Pod> = makeParser('Pod', podSchema, false);
export const parseNode: (obj: unknown) => ParseResult<Node> = makeParser('Node', nodeSchema, false);

/** Parses many objects, keeping the good ones and collecting an error for each bad one (one bad object never hides the rest). */
export function parseEach<T>(
  objects: readonly unknown[],
  parse: (obj: unknown) => ParseResult<T>,
): { readonly values: T[]; readonly errors: ObjectParseError[] } {
  const values: T[] = [];
  const errors: ObjectParseError[] = [];
  for (const obj of objects) {
    const result = parse(obj);
    if (result.ok) values.push(result.value);
    else errors.push(result.error);
  }
  return { values, errors };
}

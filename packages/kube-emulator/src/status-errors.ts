/**
 * Kubernetes `Status` failure objects, shaped like the real API server's (message texts included), and the error
 * class the request handlers throw so the HTTP layer can turn any failure into a proper Status response.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** Stable codes callers may branch on (the Kubernetes `reason` is also kept on the Status body). */
export type ApiErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'INVALID'
  | 'BAD_REQUEST'
  | 'FORBIDDEN'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'EXPIRED'
  | 'GONE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: KubeStatus;
  constructor(code: ApiErrorCode, status: KubeStatus) {
    super(status.message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
  get httpStatus(): number {
    return this.status.code;
  }
}

/** Identifies a resource type in messages: `pods`, or `azureidentities.aadpodidentity.k8s.io`. */
export interface ResourceRef {
  group: string;
  plural: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

function details(ref: ResourceRef, name: string | undefined): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined) d.name = name;
  if (ref.group !== '') d.group = ref.group;
  d.kind = ref.plural;
  return d;
}

export function failureStatus(
  code: number,
  reason: string,
  message: string,
  statusDetails?: StatusDetails,
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (statusDetails !== undefined) status.details = statusDetails;
  return status;
}

export function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(
    'NOT_FOUND',
    failureStatus(404, 'NotFound', `${qualified(ref)} "${name}" not found`, details(ref, name)),
  );
}

/** The answer for a URL that names no known resource: the real server says only "the server could not find...". */
export function pathNotFound(): ApiError {
  return new ApiError(
    'NOT_FOUND',
    failureStatus(404, 'NotFound', 'the server could not find the requested resource', {}),
  );
}

export function alreadyExists(ref: ResourceRef, name: string): ApiError {
  return new ApiError(
    'ALREADY_EXISTS',
    failureStatus(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, details(ref, name)),
  );
}

export function conflict(ref: ResourceRef, name: string, why: string): ApiError {
  return new ApiError(
    'CONFLICT',
    failureStatus(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`,
      details(ref, name),
    ),
  );
}

export const STALE_OBJECT_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 with one cause per field problem, in the real server's "Kind "name" is invalid: field: ..." shape. */
export function invalid(ref: ResourceRef, kind: string, name: string, causes: StatusCause[]): ApiError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const message =
    summary.length === 1
      ? `${kind} "${name}" is invalid: ${summary[0]}`
      : `${kind} "${name}" is invalid: [${summary.join(', ')}]`;
  const d = details(ref, name);
  d.kind = kind;
  d.causes = causes;
  return new ApiError('INVALID', failureStatus(422, 'Invalid', message, d));
}

export function badRequest(message: string): ApiError {
  return new ApiError('BAD_REQUEST', failureStatus(400, 'BadRequest', message));
}

export function forbidden(ref: ResourceRef, name: string, why: string): ApiError {
  return new ApiError(
    'FORBIDDEN',
    failureStatus(403, 'Forbidden', `${qualified(ref)} "${name}" is forbidden: ${why}`, details(ref, name)),
  );
}

export function methodNotAllowed(): ApiError {
  return new ApiError(
    'METHOD_NOT_ALLOWED',
    failureStatus(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  );
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    'UNSUPPORTED_MEDIA_TYPE',
    failureStatus(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}

export function expired(requested: string, oldest: number): ApiError {
  return new ApiError('EXPIRED', failureStatus(410, 'Expired', `too old resource version: ${requested} (${oldest})`));
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(
    'TOO_MANY_REQUESTS',
    failureStatus(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }),
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(
    'INTERNAL_ERROR',
    failureStatus(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ reason: 'UnexpectedServerResponse', message }],
    }),
  );
}

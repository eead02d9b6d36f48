/** Stable error codes of this package; callers branch on `code`, never on the message. */
export type KubeClientErrorCode =
  | 'KUBE_CONFIG_INVALID'
  | 'KUBE_REQUEST_FAILED'
  | 'KUBE_INVALID_OBJECT'
  | 'INFORMER_STOPPED'
  | 'LEADER_ELECTION_INVALID_CONFIG';

export class KubeClientError extends Error {
  readonly code: KubeClientErrorCode;
  /** HTTP status when the error came from the API server. */
  readonly statusCode: number | undefined;
  /** The API server's answer (usually a Status object as JSON text); read by `describeError`, never logged whole. */
  readonly body: string | undefined;

  constructor(
    code: KubeClientErrorCode,
    message: string,
    options: { statusCode?: number; body?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeClientError';
    this.code = code;
    this.statusCode = options.statusCode;
    this.body = options.body;
  }
}

/**
 * The HTTP status carried by an error from this package (`statusCode`) or from client-node (`ApiException.code`, its
 * `Watch`'s `statusCode`), or undefined for transport errors.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; statusCode?: unknown };
  if (typeof candidate.statusCode === 'number') return candidate.statusCode;
  if (typeof candidate.code === 'number') return candidate.code;
  return undefined;
}

export const isNotFound = (error: unknown): boolean => httpStatusOf(error) === 404;
export const isConflict = (error: unknown): boolean => httpStatusOf(error) === 409;
export const isGone = (error: unknown): boolean => httpStatusOf(error) === 410;

/**
 * A short description for logs: the HTTP status plus the API server's Status `message` when there is one. Never the
 * raw body or headers (client-node's ApiException message embeds both; ours carries the body separately).
 */
export function describeError(error: unknown): string {
  const status = httpStatusOf(error);
  const statusMessage = kubeStatusMessage(error);
  const message = statusMessage ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
  return status === undefined ? (message ?? 'unknown error') : `HTTP ${status}: ${message}`;
}

function kubeStatusMessage(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('body' in error)) return undefined;
  let body: unknown = (error as { body: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

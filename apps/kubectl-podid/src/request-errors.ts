import { describeError, httpStatusOf } from '@podid/kube-client';
import { CliError } from './errors.js';

/** Node's and undici's codes for "no answer at all", and what kubectl-like wording says about them. */
const TRANSPORT_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'was refused',
  ENOTFOUND: 'failed: the host name does not resolve',
  EAI_AGAIN: 'failed: the host name does not resolve',
  ECONNRESET: 'was reset',
  EHOSTUNREACH: 'failed: no route to host',
  ENETUNREACH: 'failed: network unreachable',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_SOCKET: 'was closed',
};

/** The first string `code` along an error's `cause` chain (undici wraps the socket error in `fetch failed`). */
function transportCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (typeof current !== 'object') return undefined;
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string' && code in TRANSPORT_CODES) return code;
    if (name === 'TimeoutError' || name === 'AbortError') return 'ETIMEDOUT';
    current = cause;
  }
  return undefined;
}

/**
 * One line for a failed API request, with a stable code: what was being read, and why it failed. `what` is e.g.
 * `list azureidentities.aadpodidentity.k8s.io`; `server` is the API server URL.
 */
export function requestFailure(error: unknown, what: string, server: string): CliError {
  if (error instanceof CliError) return error;
  const status = httpStatusOf(error);
  if (status === undefined) {
    const code = transportCode(error);
    if (code !== undefined) {
      return new CliError(
        'API_UNREACHABLE',
        `the connection to the server ${server} ${TRANSPORT_CODES[code]} (${code}) - is the API server running and is the kubeconfig's server right?`,
        { cause: error },
      );
    }
    return new CliError('API_ERROR', `cannot ${what}: ${describeError(error)}`, { cause: error });
  }
  if (status === 401) {
    return new CliError('API_UNAUTHORIZED', `cannot ${what}: the server asks for credentials (401 Unauthorized)`, {
      cause: error,
    });
  }
  if (status === 403) {
    return new CliError('API_FORBIDDEN', `cannot ${what} (forbidden): ${describeError(error)}`, { cause: error });
  }
  return new CliError('API_ERROR', `cannot ${what}: ${describeError(error)}`, { cause: error });
}

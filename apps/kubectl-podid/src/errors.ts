/** Stable error codes of kubectl-podid; every one of them exits 2 with one line on stderr. */
export type CliErrorCode =
  /** Bad command line: unknown flag, missing argument, bad value. */
  | 'USAGE'
  /** No kubeconfig file where kubectl would look (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`). */
  | 'KUBECONFIG_MISSING'
  /** A kubeconfig that cannot be read or has no such context / no current cluster. */
  | 'KUBECONFIG_INVALID'
  /** The pod named on the command line does not exist. */
  | 'POD_NOT_FOUND'
  /** No answer from the API server: refused, unresolvable, reset or timed out. */
  | 'API_UNREACHABLE'
  /** 401 from the API server. */
  | 'API_UNAUTHORIZED'
  /** 403 from the API server. */
  | 'API_FORBIDDEN'
  /** The aadpodidentity.k8s.io CRDs are not served. */
  | 'CRDS_MISSING'
  /** Any other failed request. */
  | 'API_ERROR';

export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
  }
}

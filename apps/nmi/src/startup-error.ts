/** Why NMI could not start; `main` logs the message and exits 1. */
export type NmiStartupErrorCode =
  | 'kubenet_check_failed'
  | 'kube_config_invalid'
  | 'listen_failed'
  | 'iptables_failed'
  | 'aborted';

export class NmiStartupError extends Error {
  readonly code: NmiStartupErrorCode;

  constructor(code: NmiStartupErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NmiStartupError';
    this.code = code;
  }
}

export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

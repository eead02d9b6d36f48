/** Stable codes callers branch on; the message is for people. */
export type IptablesErrorCode =
  | 'binary_missing'
  | 'command_failed'
  | 'invalid_option'
  | 'kubenet_not_supported'
  | 'kubelet_config_unreadable';

export interface IptablesErrorDetails {
  /** The full command line, e.g. `ip netns exec n1 iptables -w -t nat -S aad-metadata`. */
  readonly command?: string;
  readonly exitCode?: number;
  readonly stderr?: string;
  readonly cause?: unknown;
}

export class IptablesError extends Error {
  override readonly name = 'IptablesError';
  readonly code: IptablesErrorCode;
  readonly command: string | undefined;
  readonly exitCode: number | undefined;
  readonly stderr: string | undefined;

  constructor(code: IptablesErrorCode, message: string, details: IptablesErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
  }
}

export function isIptablesError(value: unknown, code?: IptablesErrorCode): value is IptablesError {
  return value instanceof IptablesError && (code === undefined || value.code === code);
}

import { isIPv4 } from 'node:net';
import type { CommandRunner } from './command-runner.js';
import { IptablesError } from './errors.js';

/** The custom chain upstream uses (§4); other tooling and runbooks look for this exact name. */
export const METADATA_CHAIN = 'aad-metadata';

export const DEFAULT_METADATA_IP = '169.254.169.254';
export const DEFAULT_METADATA_PORT = 80;
/** NMI listens on 127.0.0.1:2579; with `--nmi-listen-address=0.0.0.0` the DNAT target is still 127.0.0.1. */
export const DEFAULT_TARGET_IP = '127.0.0.1';
export const DEFAULT_TARGET_PORT = 2579;

export interface RedirectOptions {
  readonly runner: CommandRunner;
  readonly metadataIp?: string;
  readonly metadataPort?: number | string;
  readonly targetIp?: string;
  readonly targetPort?: number | string;
}

export interface RedirectTarget {
  readonly metadataIp: string;
  readonly metadataPort: number;
  readonly targetIp: string;
  readonly targetPort: number;
}

function parsePort(name: string, value: number | string): number {
  const port = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new IptablesError(
      'invalid_option',
      `${name} must be a TCP port between 1 and 65535, got ${JSON.stringify(value)}`,
    );
  }
  return port;
}

function parseIPv4(name: string, value: string): string {
  // iptables (not ip6tables) manages this chain, so only IPv4 literals make sense; a hostname would be resolved
  // once by iptables and silently go stale.
  if (!isIPv4(value))
    throw new IptablesError('invalid_option', `${name} must be an IPv4 address, got ${JSON.stringify(value)}`);
  return value;
}

export function resolveRedirectTarget(options: Omit<RedirectOptions, 'runner'>): RedirectTarget {
  return {
    metadataIp: parseIPv4('metadataIp', options.metadataIp ?? DEFAULT_METADATA_IP),
    metadataPort: parsePort('metadataPort', options.metadataPort ?? DEFAULT_METADATA_PORT),
    targetIp: parseIPv4('targetIp', options.targetIp ?? DEFAULT_TARGET_IP),
    targetPort: parsePort('targetPort', options.targetPort ?? DEFAULT_TARGET_PORT),
  };
}

function dnatRule(target: RedirectTarget): string {
  return (
    `-A ${METADATA_CHAIN} ! -s 127.0.0.1/32 -d ${target.metadataIp}/32 -p tcp -m tcp --dport ${target.metadataPort}` +
    ` -j DNAT --to-destination ${target.targetIp}:${target.targetPort}`
  );
}

/** The chain exactly as `iptables -t nat -S aad-metadata` prints it when it is correct (§4, checklist row 41). */
export function expectedChainLines(target: RedirectTarget): string[] {
  return [`-N ${METADATA_CHAIN}`, dnatRule(target), `-A ${METADATA_CHAIN} -j RETURN`];
}

/**
 * Input for `iptables-restore --noflush`: declaring the chain empties it and the two rules refill it in one
 * transaction, so a reader never sees a half-written chain and a rejected rule leaves the old chain in place.
 * The PREROUTING jump is deliberately not in here: restore would append it again on every run.
 */
export function chainRestoreInput(target: RedirectTarget): string {
  return ['*nat', `:${METADATA_CHAIN} - [0:0]`, dnatRule(target), `-A ${METADATA_CHAIN} -j RETURN`, 'COMMIT', ''].join(
    '\n',
  );
}

/** `-w` waits for the xtables lock instead of failing when kube-proxy or another agent holds it. */
export const JUMP_RULE = ['-j', METADATA_CHAIN] as const;
export const IPTABLES = 'iptables';
export const IPTABLES_RESTORE = 'iptables-restore';

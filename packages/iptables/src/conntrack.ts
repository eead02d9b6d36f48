import { isIP, isIPv6 } from 'node:net';
import { type CommandRunner, commandFailed } from './command-runner.js';
import { IptablesError } from './errors.js';
import { DEFAULT_METADATA_IP, DEFAULT_METADATA_PORT } from './redirect-options.js';

export interface FlushConntrackOptions {
  readonly runner: CommandRunner;
  readonly metadataIp?: string;
  readonly metadataPort?: number;
}

export interface FlushConntrackResult {
  /** Flows deleted, as conntrack reports it; `undefined` when its summary line was not recognised. */
  readonly deleted: number | undefined;
}

// conntrack-tools prints its summary on stderr: "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted."
const SUMMARY = /(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/;

/**
 * Deletes TCP conntrack entries whose original destination is the metadata endpoint and whose replies come from the
 * metadata endpoint itself, i.e. flows that were NOT redirected (`--enable-conntrack-deletion`, §4). Without this,
 * connections opened before the redirect existed stay pinned to the real IMDS by their conntrack entry and bypass
 * NMI. Upstream deletes every entry to the endpoint, including connections the redirect has just sent to NMI, which
 * then hang: a pod that connects in the milliseconds between the rule install and the flush waits for its timeout.
 */
export async function flushConntrack(options: FlushConntrackOptions): Promise<FlushConntrackResult> {
  const ip = options.metadataIp ?? DEFAULT_METADATA_IP;
  const port = options.metadataPort ?? DEFAULT_METADATA_PORT;
  if (isIP(ip) === 0)
    throw new IptablesError('invalid_option', `metadataIp must be an IP address, got ${JSON.stringify(ip)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new IptablesError('invalid_option', `metadataPort must be a TCP port between 1 and 65535, got ${port}`);
  }
  const args = [
    '-D',
    '-f',
    isIPv6(ip) ? 'ipv6' : 'ipv4',
    '-p',
    'tcp',
    '-d',
    ip,
    '--dport',
    String(port),
    // Only flows answered by the endpoint itself; a DNAT'ed flow's replies come from NMI's address.
    '--reply-src',
    ip,
    '--reply-port-src',
    String(port),
  ];
  const result = await options.runner.run('conntrack', args);
  const summary = SUMMARY.exec(result.stderr) ?? SUMMARY.exec(result.stdout);
  const deleted = summary?.[1] === undefined ? undefined : Number(summary[1]);
  // conntrack exits 1 when nothing matched; that is the normal case on a fresh node, not a failure.
  if (result.exitCode === 0 || (result.exitCode === 1 && deleted === 0)) return { deleted };
  throw commandFailed(options.runner, 'conntrack', args, result);
}

import { type CommandRunner, runChecked } from './command-runner.js';
import {
  IPTABLES_RESTORE,
  METADATA_CHAIN,
  type RedirectOptions,
  type RedirectTarget,
  resolveRedirectTarget,
} from './redirect-options.js';
import { listChain, rulesJumpingTo } from './rule-listing.js';

/**
 * podid's fail-closed chain in table `filter`: while NMI is not serving (between a SIGTERM and the next NMI's
 * redirect), pods' connections to the metadata endpoint are refused with a TCP reset instead of reaching the real
 * IMDS. REJECT only exists in table `filter`, so this cannot live in the nat chain.
 */
export const REJECT_CHAIN = 'aad-metadata-reject';

/**
 * Where pod traffic to the metadata address passes when nothing DNATs it: FORWARD when the address is routed off the
 * node (Azure), INPUT when it is a local address of the node (the sandbox's stand-in IMDS).
 */
export const REJECT_HOOKS = ['INPUT', 'FORWARD'] as const;

/**
 * The reject rule as `iptables -t filter -S` prints it. It matches what the DNAT matches (not from 127.0.0.1, to the
 * metadata IP:port) and additionally never traffic arriving on `lo`: host-network callers reach a node-local
 * metadata address over loopback, and they were never redirected either.
 */
export function rejectRuleLine(target: Pick<RedirectTarget, 'metadataIp' | 'metadataPort'>): string {
  return (
    `-A ${REJECT_CHAIN} ! -s 127.0.0.1/32 -d ${target.metadataIp}/32 ! -i lo -p tcp -m tcp --dport ${target.metadataPort}` +
    ' -j REJECT --reject-with tcp-reset'
  );
}

export function expectedRejectChainLines(target: Pick<RedirectTarget, 'metadataIp' | 'metadataPort'>): string[] {
  return [`-N ${REJECT_CHAIN}`, rejectRuleLine(target)];
}

/** Everything of podid's in tables nat and filter, as read before a change. */
export interface MetadataRulesState {
  readonly natChain: readonly string[] | undefined;
  /** Rules in nat PREROUTING that jump to `aad-metadata` (argument lists after `-A PREROUTING`). */
  readonly natJumps: readonly (readonly string[])[];
  readonly rejectChain: readonly string[] | undefined;
  /** Per hook (INPUT, FORWARD): rules that jump to `aad-metadata-reject`. */
  readonly rejectJumps: Readonly<Record<(typeof REJECT_HOOKS)[number], readonly (readonly string[])[]>>;
}

export async function readMetadataRules(runner: CommandRunner): Promise<MetadataRulesState> {
  const natChain = await listChain(runner, 'nat', METADATA_CHAIN);
  const natJumps = await rulesJumpingTo(runner, 'nat', 'PREROUTING', METADATA_CHAIN);
  const reject = await readRejectRules(runner);
  return {
    natChain,
    natJumps,
    rejectChain: reject?.rejectChain,
    rejectJumps: reject?.rejectJumps ?? { INPUT: [], FORWARD: [] },
  };
}

/**
 * The reject chain and the jumps to it, or `undefined` when the chain does not exist (then no jump can exist
 * either): one read on the common path, so the resync loop stays as cheap as before.
 */
export async function readRejectRules(
  runner: CommandRunner,
): Promise<Pick<MetadataRulesState, 'rejectChain' | 'rejectJumps'> | undefined> {
  const rejectChain = await listChain(runner, 'filter', REJECT_CHAIN);
  if (rejectChain === undefined) return undefined;
  const input = await rulesJumpingTo(runner, 'filter', 'INPUT', REJECT_CHAIN);
  const forward = await rulesJumpingTo(runner, 'filter', 'FORWARD', REJECT_CHAIN);
  return { rejectChain, rejectJumps: { INPUT: input, FORWARD: forward } };
}

export function hasRejectRules(state: MetadataRulesState): boolean {
  return state.rejectChain !== undefined || REJECT_HOOKS.some((hook) => state.rejectJumps[hook].length > 0);
}

export function hasNatRules(state: MetadataRulesState): boolean {
  return state.natChain !== undefined || state.natJumps.length > 0;
}

/** Restore lines (no table header) that delete every jump to the reject chain and the chain itself. */
export function rejectRemovalLines(state: Pick<MetadataRulesState, 'rejectChain' | 'rejectJumps'>): string[] {
  const lines: string[] = [];
  for (const hook of REJECT_HOOKS) {
    for (const jump of state.rejectJumps[hook]) lines.push(`-D ${hook} ${jump.join(' ')}`);
  }
  // Declaring the chain empties it (a non-empty chain cannot be deleted), then it goes.
  if (state.rejectChain !== undefined) lines.push(`:${REJECT_CHAIN} - [0:0]`, `-X ${REJECT_CHAIN}`);
  return lines;
}

/** Restore lines (no table header) that delete every jump to the nat chain and the chain itself. */
export function natRemovalLines(state: MetadataRulesState): string[] {
  const lines = state.natJumps.map((jump) => `-D PREROUTING ${jump.join(' ')}`);
  if (state.natChain !== undefined) lines.push(`:${METADATA_CHAIN} - [0:0]`, `-X ${METADATA_CHAIN}`);
  return lines;
}

export function tableSection(table: 'nat' | 'filter', lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [`*${table}`, ...lines, 'COMMIT'];
}

export interface InstallRejectResult {
  /** The nat jumps and chain that were taken away in the same restore. */
  readonly redirectRemoved: boolean;
  readonly rejectChain: readonly string[];
}

/**
 * `--on-exit=reject`: puts the reject rule in place and takes the DNAT away in ONE `iptables-restore`. The filter
 * table comes first in the file and iptables commits the tables in file order, so at every instant pods meet either
 * the DNAT (to NMI) or the reject rule (connection refused), never the real IMDS. Idempotent.
 */
export async function installReject(
  options: Omit<RedirectOptions, 'targetIp' | 'targetPort'>,
): Promise<InstallRejectResult> {
  const target = resolveRedirectTarget({
    ...(options.metadataIp !== undefined ? { metadataIp: options.metadataIp } : {}),
    ...(options.metadataPort !== undefined ? { metadataPort: options.metadataPort } : {}),
  });
  const { runner } = options;
  const state = await readMetadataRules(runner);
  const filter = [`:${REJECT_CHAIN} - [0:0]`, rejectRuleLine(target)];
  for (const hook of REJECT_HOOKS) {
    const plain = state.rejectJumps[hook].some((jump) => jump.join(' ') === `-j ${REJECT_CHAIN}`);
    if (!plain) filter.push(`-I ${hook} 1 -j ${REJECT_CHAIN}`);
  }
  const input = [...tableSection('filter', filter), ...tableSection('nat', natRemovalLines(state)), ''].join('\n');
  await runChecked(runner, IPTABLES_RESTORE, ['-w', '--noflush'], { input });
  return { redirectRemoved: hasNatRules(state), rejectChain: expectedRejectChainLines(target) };
}

export interface CleanupResult {
  /** What was there before (for the log): nat chain/jumps and reject chain/jumps. */
  readonly before: MetadataRulesState;
  readonly changed: boolean;
}

/**
 * `nmi cleanup`: removes podid's jumps and chains from tables nat and filter whatever state they are in (redirect,
 * reject, a half-written chain, a jump without its chain), in one restore. Safe to run when nothing is there.
 */
export async function cleanupMetadataRules(options: Pick<RedirectOptions, 'runner'>): Promise<CleanupResult> {
  const before = await readMetadataRules(options.runner);
  const input = [
    ...tableSection('filter', rejectRemovalLines(before)),
    ...tableSection('nat', natRemovalLines(before)),
  ];
  if (input.length === 0) return { before, changed: false };
  await runChecked(options.runner, IPTABLES_RESTORE, ['-w', '--noflush'], { input: [...input, ''].join('\n') });
  return { before, changed: true };
}

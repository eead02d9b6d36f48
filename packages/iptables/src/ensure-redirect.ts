import { type CommandRunner, commandFailed, runChecked } from './command-runner.js';
import {
  chainRestoreInput,
  expectedChainLines,
  IPTABLES,
  IPTABLES_RESTORE,
  JUMP_RULE,
  METADATA_CHAIN,
  type RedirectOptions,
  type RedirectTarget,
  resolveRedirectTarget,
} from './redirect-options.js';
import { readRejectRules, rejectRemovalLines, tableSection } from './reject-rules.js';

/** What an ensure pass had to change; an empty list means the rules were already right. */
export type RedirectRepair = 'chain_created' | 'chain_rewritten' | 'jump_inserted' | 'reject_replaced';

export interface EnsureRedirectResult {
  readonly repairs: readonly RedirectRepair[];
  /** The chain as it was listed before this pass (empty when it did not exist), for logging drift. */
  readonly chainBefore: readonly string[];
  /** The chain as it is meant to be; equal to what `iptables -t nat -S aad-metadata` prints afterwards. */
  readonly chainExpected: readonly string[];
}

function outputLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The chain's rules as `-S` prints them, or `undefined` when the chain does not exist. */
export async function listMetadataChain(runner: CommandRunner): Promise<string[] | undefined> {
  // Only stdout is parsed: the nf_tables backend prints warnings on stderr even on success.
  const result = await runner.run(IPTABLES, ['-w', '-t', 'nat', '-S', METADATA_CHAIN]);
  return result.exitCode === 0 ? outputLines(result.stdout) : undefined;
}

/** True when PREROUTING has the plain `-j aad-metadata` jump (`iptables -C`: exit 0 present, 1 absent). */
export async function hasPreroutingJump(runner: CommandRunner): Promise<boolean> {
  const args = ['-w', '-t', 'nat', '-C', 'PREROUTING', ...JUMP_RULE];
  const result = await runner.run(IPTABLES, args);
  if (result.exitCode === 0) return true;
  if (result.exitCode === 1) return false;
  throw commandFailed(runner, IPTABLES, args, result);
}

function sameLines(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && actual.every((line, index) => line === expected[index]);
}

async function ensureWithTarget(runner: CommandRunner, target: RedirectTarget): Promise<EnsureRedirectResult> {
  const repairs: RedirectRepair[] = [];
  const chainExpected = expectedChainLines(target);
  const chainBefore = await listMetadataChain(runner);
  const chainWrong = chainBefore === undefined || !sameLines(chainBefore, chainExpected);
  const chainRepair: RedirectRepair = chainBefore === undefined ? 'chain_created' : 'chain_rewritten';

  // A predecessor that stopped with --on-exit=reject left pods refused. The redirect replaces the reject rule in the
  // same restore (nat committed first, then filter), so there is no moment with neither in place.
  const rejectState = await readRejectRules(runner);
  if (rejectState !== undefined) {
    // `-C` cannot ask about a chain that does not exist (exit 2); without the chain there is no jump to it.
    const jumpMissing = chainBefore === undefined || !(await hasPreroutingJump(runner));
    const nat = chainWrong ? chainRestoreInput(target).split('\n').slice(1, -2) : [];
    if (jumpMissing) nat.push(`-I PREROUTING 1 ${JUMP_RULE.join(' ')}`);
    const input = [...tableSection('nat', nat), ...tableSection('filter', rejectRemovalLines(rejectState)), ''];
    await runChecked(runner, IPTABLES_RESTORE, ['-w', '--noflush'], { input: input.join('\n') });
    if (chainWrong) repairs.push(chainRepair);
    if (jumpMissing) repairs.push('jump_inserted');
    repairs.push('reject_replaced');
    return { repairs, chainBefore: chainBefore ?? [], chainExpected };
  }

  // Like upstream, any difference (a deleted, altered, reordered or extra rule) rewrites the whole chain; unlike
  // upstream the rewrite is one atomic restore, so pods never hit a moment with the chain flushed.
  if (chainWrong) {
    await runChecked(runner, IPTABLES_RESTORE, ['-w', '--noflush'], { input: chainRestoreInput(target) });
    repairs.push(chainRepair);
  }

  // Upstream only checks that the jump exists, not where; position 1 matters only when it is first inserted.
  if (!(await hasPreroutingJump(runner))) {
    await runChecked(runner, IPTABLES, ['-w', '-t', 'nat', '-I', 'PREROUTING', '1', ...JUMP_RULE]);
    repairs.push('jump_inserted');
  }

  return { repairs, chainBefore: chainBefore ?? [], chainExpected };
}

/**
 * Makes table nat hold the `aad-metadata` chain of §4 and the PREROUTING jump to it. Idempotent: a second call
 * with nothing drifted runs only the two read commands and changes nothing.
 */
export async function ensureRedirect(options: RedirectOptions): Promise<EnsureRedirectResult> {
  return ensureWithTarget(options.runner, resolveRedirectTarget(options));
}

export interface RemoveRedirectResult {
  readonly jumpsRemoved: number;
  readonly chainRemoved: boolean;
}

const PLAIN_JUMP_LINE = `-A PREROUTING ${JUMP_RULE.join(' ')}`;

/**
 * Removes every PREROUTING jump to the chain, then flushes and deletes the chain (shutdown, §4). Safe to call
 * when nothing exists and safe to call twice.
 */
export async function removeRedirect(options: Pick<RedirectOptions, 'runner'>): Promise<RemoveRedirectResult> {
  const { runner } = options;
  const prerouting = await runChecked(runner, IPTABLES, ['-w', '-t', 'nat', '-S', 'PREROUTING']);
  const jumps = outputLines(prerouting.stdout).filter((line) => line === PLAIN_JUMP_LINE).length;
  for (let index = 0; index < jumps; index++) {
    await runChecked(runner, IPTABLES, ['-w', '-t', 'nat', '-D', 'PREROUTING', ...JUMP_RULE]);
  }

  const chain = await listMetadataChain(runner);
  if (chain === undefined) return { jumpsRemoved: jumps, chainRemoved: false };
  await runChecked(runner, IPTABLES, ['-w', '-t', 'nat', '-F', METADATA_CHAIN]);
  await runChecked(runner, IPTABLES, ['-w', '-t', 'nat', '-X', METADATA_CHAIN]);
  return { jumpsRemoved: jumps, chainRemoved: true };
}

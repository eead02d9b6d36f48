import { type CommandRunner, runChecked } from './command-runner.js';
import { IPTABLES } from './redirect-options.js';

export type IptablesTable = 'nat' | 'filter';

export function outputLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** A chain's rules as `-S` prints them, or `undefined` when the chain does not exist in that table. */
export async function listChain(
  runner: CommandRunner,
  table: IptablesTable,
  chain: string,
): Promise<string[] | undefined> {
  // Only stdout is parsed: the nf_tables backend prints warnings on stderr even on success.
  const result = await runner.run(IPTABLES, ['-w', '-t', table, '-S', chain]);
  return result.exitCode === 0 ? outputLines(result.stdout) : undefined;
}

/**
 * The rules of built-in chain `from` that send packets to `target` (`-j target` or `-g target`, with any matches),
 * as the argument lists that follow `-A <from>`, so `-D <from> ...args` deletes exactly that rule.
 */
export async function rulesJumpingTo(
  runner: CommandRunner,
  table: IptablesTable,
  from: string,
  target: string,
): Promise<string[][]> {
  const listing = await runChecked(runner, IPTABLES, ['-w', '-t', table, '-S', from]);
  const prefix = `-A ${from} `;
  return outputLines(listing.stdout)
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).split(/\s+/))
    .filter((args) => args.some((arg, index) => (arg === '-j' || arg === '-g') && args[index + 1] === target));
}

import { parseGoFlags } from '@podid/go-flags';
import { type CommandRunner, cleanupMetadataRules, createProcessRunner, REJECT_CHAIN } from '@podid/iptables';
import { isLogFormat, type LogFormat } from '@podid/observability/cli';
import { nmiFlags } from './flags.js';
import type { NmiProcessIo } from './run-nmi.js';
import { errorMessage } from './startup-error.js';

/** `nmi cleanup [flags]`: the uninstall step (a one-off Job or a manual command when removing podid from a node). */
export const CLEANUP_COMMAND = 'cleanup';

/**
 * Removes every podid rule from this node's iptables: the PREROUTING jumps and the `aad-metadata` nat chain, the
 * INPUT/FORWARD jumps and the `aad-metadata-reject` filter chain, whatever state they are in. It accepts NMI's whole
 * command line (so the DaemonSet's arguments can be reused as they are; `--node` is not needed) and exits 0 when the
 * node is clean, 1 when iptables refused, 2 for a bad command line.
 */
export async function runCleanup(io: NmiProcessIo): Promise<number> {
  const outcome = parseGoFlags(nmiFlags, io.argv.slice(1), {
    name: 'nmi cleanup',
    summary: 'remove podid NMI iptables rules (redirect, reject rule, or a half-written chain) from this node',
  });
  if (outcome.kind === 'help') {
    io.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
    return 0;
  }
  if (outcome.kind === 'error') {
    io.stderr.write(`${outcome.message}\n`);
    return 2;
  }
  const format = outcome.values['log-format'];
  if (!isLogFormat(format)) {
    io.stderr.write(`invalid value ${JSON.stringify(format)} for flag --log-format: unknown logging format\n`);
    return 2;
  }
  const { createLogger } = await import('@podid/observability');
  const log = createLogger({
    component: 'NMI',
    format: format as LogFormat,
    verbosity: outcome.values.v,
    destination: io.stderr,
  });
  const runner: CommandRunner = io.platform?.runner ?? createProcessRunner();
  try {
    const result = await cleanupMetadataRules({ runner });
    const before = result.before;
    log.info(
      {
        natJumps: before.natJumps.length,
        natChain: before.natChain !== undefined,
        rejectJumps: before.rejectJumps.INPUT.length + before.rejectJumps.FORWARD.length,
        rejectChain: before.rejectChain !== undefined,
      },
      result.changed
        ? `removed podid iptables rules (aad-metadata, ${REJECT_CHAIN})`
        : 'no podid iptables rules on this node',
    );
    return 0;
  } catch (error) {
    log.error({ error: errorMessage(error) }, 'failed to remove podid iptables rules');
    return 1;
  }
}

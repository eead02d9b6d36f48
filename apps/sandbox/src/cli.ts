/**
 * The `npm start` command line: starts the sandbox, tells the demo story, then stays up with instructions until
 * Ctrl-C, which stops every child process and server.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo-story.js';
import { parseDurationMs } from './duration.js';
import type { Sandbox } from './sandbox.js';
import { startSandbox } from './sandbox.js';
import type { SandboxOptions } from './sandbox-options.js';

export interface CliIo {
  argv: readonly string[];
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves on the first Ctrl-C / SIGTERM. */
  untilStopped: () => Promise<string>;
  /** Starts the sandbox (default startSandbox; tests inject a recorder). */
  start?: (options: SandboxOptions) => Promise<Sandbox>;
}

function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

function durationOption(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Why --netns cannot run here, or undefined when it can. */
function netnsProblem(): string | undefined {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Linux`;
  if (process.getuid?.() !== 0) return 'not running as root';
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  const missing = ['ip', 'iptables', 'curl'].filter((name) => !dirs.some((dir) => dir && existsSync(join(dir, name))));
  return missing.length > 0 ? `missing ${missing.join(', ')} (apt-get install -y iproute2 iptables curl)` : undefined;
}

export function buildCommand(): Command {
  return new Command('podid-sandbox')
    .description(
      'Runs podid on this machine: a Kubernetes API, an emulated Azure (ARM, AAD, IMDS per node), MIC and one NMI per node, then a demo pod that gets a token.',
    )
    .option(
      '--arm-latency <duration>',
      'duration of each VM/VMSS identity PATCH in the emulated ARM (e.g. 40s, as in production)',
      durationOption,
      20,
    )
    .option('--scale-sets <n>', 'number of VMSS', intOption, 1)
    .option('--nodes-per-scale-set <n>', 'nodes (instances) per VMSS', intOption, 2)
    .option('--vms <n>', 'plain VM nodes', intOption, 1)
    .option('--identities <n>', 'user-assigned identities', intOption, 2)
    .option('--no-demo', 'skip the demo identity, binding and pod')
    .option('--netns', 'real pod network namespaces and iptables redirect of 169.254.169.254 (root)')
    .option('--verbose', "print MIC's and the NMIs' logs")
    .option('--work-dir <dir>', 'where logs, kubeconfig and config files go (default: a new temporary directory)')
    .option('--mic-arg <flag...>', 'extra MIC flag (repeatable), e.g. --mic-arg=--immutable-user-msis=<id>')
    .option('--nmi-arg <flag...>', 'extra NMI flag (repeatable), e.g. --nmi-arg=--block-instance-metadata')
    .addHelpText(
      'after',
      "\nOnce up, use the printed kubeconfig with kubectl, and `curl --interface <pod IP>` against a node's NMI to act as a pod.",
    )
    .exitOverride();
}

interface CliOptions {
  armLatency: number;
  scaleSets: number;
  nodesPerScaleSet: number;
  vms: number;
  identities: number;
  demo: boolean;
  netns?: boolean;
  verbose?: boolean;
  workDir?: string;
  micArg?: string[];
  nmiArg?: string[];
}

function printInstructions(sandbox: Sandbox, out: (line: string) => void, netns: boolean): void {
  const { world } = sandbox.azure;
  out('');
  out('The sandbox is running. Try it:');
  out(`  export KUBECONFIG=${sandbox.kube.kubeconfigPath}`);
  out('  kubectl get nodes,pods,azureidentities,azureidentitybindings,azureassignedidentities -A');
  out('  Nodes and their NMI (token server):');
  for (const node of world.nodes) {
    const nmi = sandbox.nmis.get(node.name);
    const where = nmi?.namespace ? `${nmi.url} in network namespace ${nmi.namespace}` : (nmi?.url ?? '(none)');
    out(`    ${node.name.padEnd(18)} ${node.kind.padEnd(5)} NMI ${where}`);
  }
  out('  Identities you can bind (kubectl apply an AzureIdentity with these):');
  for (const identity of world.identities) {
    out(`    ${identity.name.padEnd(12)} clientID ${identity.clientId}`);
    out(`    ${''.padEnd(12)} resourceID ${identity.resourceId}`);
  }
  if (netns) {
    out('  Pods you create get their own network namespace, a 10.x address and Running phase. Act as a pod with:');
    out(
      "    kubectl get pod <name> -o jsonpath='{.metadata.annotations.sandbox\\.podid\\.io/netns}'   # its namespace",
    );
    out(
      "    ip netns exec <namespace> curl -s -H 'Metadata: true' 'http://169.254.169.254/metadata/identity/oauth2/token?resource=https://vault.azure.net'",
    );
  } else {
    out("  Pods you create get a 127.0.x.y address and Running phase from the sandbox's kubelet. Act as a pod with:");
    out('    kubectl get pod <name> -o wide        # IP and node');
    out(
      "    curl -s -H 'Metadata: true' --interface <pod IP> '<node's NMI>/metadata/identity/oauth2/token?resource=https://vault.azure.net'",
    );
  }
  out(`  Logs: ${sandbox.workDir}`);
  out('Ctrl-C stops everything.');
}

/** Runs the CLI; answers the process exit code. */
export async function runCli(io: CliIo): Promise<number> {
  const command = buildCommand();
  command.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  let options: CliOptions;
  try {
    command.parse([...io.argv], { from: 'user' });
    options = command.opts<CliOptions>();
  } catch (error) {
    // --help and --version end here with exit code 0; anything else is a bad command line (2, as MIC and NMI).
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  if (options.netns) {
    const problem = netnsProblem();
    if (problem !== undefined) {
      io.err(`--netns needs root and the ip, iptables and curl commands: ${problem}`);
      return 2;
    }
  }

  const started = Date.now();
  io.out('Starting the podid sandbox…');
  const sandboxOptions: SandboxOptions = {
    armLatencyMs: options.armLatency,
    world: {
      scaleSets: options.scaleSets,
      nodesPerScaleSet: options.nodesPerScaleSet,
      virtualMachines: options.vms,
      identities: options.identities,
    },
    onProgress: (line) => io.out(`  ${line}`),
    ...(options.verbose
      ? { onComponentLine: (component: string, line: string) => io.out(`  [${component}] ${line}`) }
      : {}),
    ...(options.workDir ? { workDir: options.workDir } : {}),
    ...(options.micArg ? { micArgs: options.micArg } : {}),
    ...(options.nmiArg ? { nmiArgs: options.nmiArg } : {}),
    ...(options.netns ? { netns: true } : {}),
  };
  let sandbox: Sandbox;
  try {
    sandbox = await (io.start ?? startSandbox)(sandboxOptions);
  } catch (error) {
    io.err(`The sandbox did not start: ${(error as Error).message}`);
    return 1;
  }
  io.out(`Up in ${Date.now() - started} ms.`);
  let exitCode = 0;
  try {
    if (options.demo) {
      io.out('');
      io.out(
        'Demo: two pods get their own Azure identities, one assigned to the VMSS (type 0), one federated (type 3)',
      );
      const result = await runDemo(sandbox, (line) => io.out(`  ${line}`));
      if (result.status !== 200) exitCode = 1;
    }
    printInstructions(sandbox, io.out, options.netns === true);
    const signal = await io.untilStopped();
    io.out(`\n${signal}: stopping MIC, the NMIs and the emulators…`);
  } catch (error) {
    io.err(`The sandbox failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await sandbox.close();
  }
  io.out('Stopped.');
  return exitCode;
}

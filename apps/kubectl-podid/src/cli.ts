import { Command, CommanderError, Option } from 'commander';
import { parseGoDuration } from '@podid/go-flags';
import { AssignedIdentityState } from '@podid/crd-types';
import { stringify as toYaml } from 'yaml';
import { ClusterReader } from './cluster-reader.js';
import { clusterStatus } from './cluster-status.js';
import { CliError } from './errors.js';
import { explainPod } from './explain-pod.js';
import { loadKubeconfig } from './kubeconfig-loading.js';
import { renderExplanation } from './render-explain.js';
import { renderStatus } from './render-status.js';
import type { ClusterEvent, LeaseReading, Node, Pod } from './cluster-objects.js';

export const EXIT_OK = 0;
/** explain: the pod has no Assigned identity. */
export const EXIT_NO_IDENTITY = 1;
/** Usage errors and every failure to read the cluster. */
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly homeDir: string;
  readonly nowMs: () => number;
  readonly version: string;
}

interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: 'table' | 'json' | 'yaml';
  namespaced?: boolean;
  leaseNamespace: string;
  leaseName: string;
  requestTimeout: string;
}

function durationMs(flag: string, text: string): number {
  try {
    const ms = parseGoDuration(text);
    if (ms < 0) throw new Error('negative');
    return ms;
  } catch {
    throw new CliError('USAGE', `invalid value "${text}" for ${flag}: a duration like 90s, 2m or 1h30m`);
  }
}

function emit(io: CliIo, format: GlobalOptions['output'], value: unknown, table: () => string): void {
  if (format === 'json') io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') io.stdout(toYaml(value));
  else io.stdout(table());
}

function connect(io: CliIo, options: GlobalOptions) {
  const loaded = loadKubeconfig({
    kubeconfig: options.kubeconfig,
    context: options.context,
    namespace: options.namespace,
    env: io.env,
    homeDir: io.homeDir,
  });
  const reader = new ClusterReader({
    kubeConfig: loaded.kubeConfig,
    userAgent: `kubectl-podid/${io.version}`,
    requestTimeoutMs: durationMs('--request-timeout', options.requestTimeout) || 30_000,
  });
  return { reader, namespace: loaded.namespace };
}

/** `pod NAME`, `pod/NAME`, `pods NAME`, `po NAME` → NAME. */
function podNameFrom(kind: string, name: string | undefined): string {
  const slash = kind.indexOf('/');
  const [type, inline] = slash === -1 ? [kind, undefined] : [kind.slice(0, slash), kind.slice(slash + 1)];
  if (!['pod', 'pods', 'po'].includes(type.toLowerCase())) {
    throw new CliError('USAGE', `explain works on pods: "${type}" is not a pod (use: kubectl podid explain pod NAME)`);
  }
  const podName = inline ?? name;
  if (podName === undefined || podName === '' || (inline !== undefined && name !== undefined)) {
    throw new CliError('USAGE', 'explain takes exactly one pod name (use: kubectl podid explain pod NAME)');
  }
  return podName;
}

async function runExplain(io: CliIo, options: GlobalOptions, kind: string, name: string | undefined): Promise<number> {
  const podName = podNameFrom(kind, name);
  const { reader, namespace } = connect(io, options);
  let pod: Pod;
  if (options.allNamespaces) {
    const found = await reader.pods({ fieldSelector: `metadata.name=${podName}` });
    if (found.length === 0) throw new CliError('POD_NOT_FOUND', `pods "${podName}" not found in any namespace`);
    if (found.length > 1) {
      const where = found
        .map((p) => p.metadata.namespace)
        .sort()
        .join(', ');
      throw new CliError('USAGE', `pods "${podName}" exist in several namespaces (${where}): pass -n NAMESPACE`);
    }
    pod = found[0]!;
  } else {
    pod = await reader.pod(namespace, podName);
  }
  const objects = await reader.identityObjects({ exceptionsNamespace: pod.metadata.namespace });
  const mine = objects.assignedIdentities.filter(
    (a) => a.spec.pod === pod.metadata.name && a.spec.podNamespace === pod.metadata.namespace,
  );
  const nodeNames = new Set([pod.spec?.nodeName ?? '', ...mine.map((a) => a.spec.nodename ?? '')]);
  nodeNames.delete('');
  const nodes = new Map<string, Node>();
  for (const nodeName of [...nodeNames].sort()) {
    const node = await reader.node(nodeName);
    if (node !== undefined) nodes.set(nodeName, node);
  }
  const created = mine.filter((a) => a.status?.status === AssignedIdentityState.Created);
  let events: ClusterEvent[] = [];
  if (created.length > 0) {
    const about = created.flatMap((a) => [
      { kind: 'AzureAssignedIdentity', namespace: a.metadata.namespace, name: a.metadata.name },
      {
        kind: 'AzureIdentityBinding',
        namespace: a.spec.azureBindingRef?.metadata.namespace ?? '',
        name: a.spec.azureBindingRef?.metadata.name ?? '',
      },
      { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name },
    ]);
    try {
      events = await reader.eventsAbout(about.filter((o) => o.namespace !== '' && o.name !== ''));
    } catch (error) {
      if (error instanceof CliError && error.code === 'API_UNREACHABLE') throw error;
      io.stderr(`warning: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  // One GET; explain shows it whenever MIC still owes the pod something (a Created or a missing assignment).
  const lease: LeaseReading = await reader.lease(options.leaseNamespace, options.leaseName);
  const explanation = explainPod({
    pod,
    objects,
    nodes,
    events,
    lease,
    namespaced: options.namespaced === true,
    nowMs: io.nowMs(),
  });
  emit(io, options.output, explanation, () => renderExplanation(explanation));
  return explanation.verdict.hasAssignedIdentity ? EXIT_OK : EXIT_NO_IDENTITY;
}

async function runStatus(io: CliIo, options: GlobalOptions, stuckAfter: string): Promise<number> {
  const stuckAfterMs = durationMs('--stuck-after', stuckAfter);
  const { reader, namespace } = connect(io, options);
  // Like kubectl, -n (or the context's namespace) scopes the report only when given; status defaults to everything.
  const scope = options.allNamespaces || options.namespace === undefined ? undefined : namespace;
  const [labelledPods, objects, nodes] = await Promise.all([
    reader.pods({ labelSelector: 'aadpodidbinding' }),
    reader.identityObjects(),
    reader.nodes(),
  ]);
  const [lease, nmi] = await Promise.all([reader.lease(options.leaseNamespace, options.leaseName), reader.nmi()]);
  const status = clusterStatus({
    labelledPods,
    objects,
    nodes,
    lease,
    nmi,
    namespaced: options.namespaced === true,
    namespace: scope,
    stuckAfterMs,
    nowMs: io.nowMs(),
  });
  emit(io, options.output, status, () => renderStatus(status));
  return EXIT_OK;
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('kubectl podid')
    .description('Why a pod has, or lacks, an Azure identity (podid / aad-pod-identity), and the state of the cluster')
    .version(io.version, '--version')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', "namespace (default: the context's, else default)")
    .option('-A, --all-namespaces', 'explain: find the pod in any namespace; status: report every namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--namespaced', 'MIC runs with --forceNamespaced (not readable from the cluster)')
    .option(
      '--lease-namespace <namespace>',
      "namespace of MIC's election Lease (MIC --leader-election-namespace)",
      'default',
    )
    .option('--lease-name <name>', "name of MIC's election Lease (MIC --leader-election-name)", 'aad-pod-identity-mic')
    .option('--request-timeout <duration>', 'give up on an API request after this long', '30s')
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(text.split('\n')[0] + '\n'),
    });
  program
    .command('explain')
    .description('say why a pod has, or lacks, each identity (exit 0: an identity is Assigned; 1: none; 2: error)')
    .argument('<kind>', '"pod" (or pod/NAME)')
    .argument('[name]', 'the pod')
    .exitOverride()
    .action(async (kind: string, name: string | undefined, _options, command: Command) => {
      setExit(await runExplain(io, command.optsWithGlobals<GlobalOptions>(), kind, name));
    });
  program
    .command('status')
    .description('identities, bindings and assignments across the cluster, MIC leadership and NMI readiness')
    .option('--stuck-after <duration>', 'report assignments Created for longer than this', '2m')
    .exitOverride()
    .action(async (options: { stuckAfter: string }, command: Command) => {
      setExit(await runStatus(io, command.optsWithGlobals<GlobalOptions>(), options.stuckAfter));
    });
  return program;
}

/** Runs one command line (without the program name); never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; everything else is a usage error (already printed).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr(`error: ${message}\n`);
    return EXIT_USAGE;
  }
}

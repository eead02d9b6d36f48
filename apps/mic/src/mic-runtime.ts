import fs from 'node:fs';
import {
  armTokenScope,
  createArmCredential,
  createArmIdentityAssigner,
  type IdentityAssigner,
  resolveCloudEnvironment,
  SdkFederatedCredentialClient,
} from '@podid/arm-assigner';
import {
  createAssignedIdentityInformer,
  createBindingInformer,
  createCrdClients,
  createIdentityInformer,
  createInvalidObjectReporter,
  createKubeConfig,
  createKubeConnection,
  createNodeInformer,
  createPodInformer,
  EventRecorder,
  formatUserAgent,
  LeaderElector,
  LeaseLock,
} from '@podid/kube-client';
import {
  type BuildInfo,
  type Logger,
  type PodIdentityMetrics,
  type RunningServer,
  startHealthServer,
  startMetricsServer,
} from '@podid/observability';
import { planArmPatch } from '@podid/reconciler';
import { type CloudConfig, loadCloudConfig } from './cloud-config.js';
import type { MicConfig } from './config.js';
import { MicController } from './controller.js';
import { type FederatedCredentialArm, FederatedCredentialManager } from './federated-credentials.js';
import { assignedIdentityWriter, assignmentEvents } from './kube-adapters.js';
import { OncePerInterval } from './once-per-interval.js';
import { ProblemReporter } from './problem-reporter.js';
import { controllerObserver, recordArmCall } from './metrics-observer.js';
import type { IdentityDeltaApplier } from './plan-executor.js';
import { runTypeUpgrade } from './type-upgrade.js';

export interface RunMicOptions {
  readonly config: MicConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly metrics: PodIdentityMetrics;
  readonly build: BuildInfo;
  /** Aborted on SIGTERM/SIGINT. */
  readonly signal: AbortSignal;
  /** Reports the probe and metrics addresses once listening (tests, sandbox). */
  readonly onListening?: (servers: { health: RunningServer; metrics: RunningServer }) => void;
}

/** Exit statuses, as upstream: 0 after a requested stop, 1 on lost leadership or a fatal error, 2 for bad config. */
export const ExitCode = { Ok: 0, Fatal: 1, BadConfig: 2 } as const;

class ConfigError extends Error {}

/** The same complaint about the same object (or the same pod event) is told at most once per this interval. */
export const PROBLEM_REPORT_INTERVAL_MS = 10 * 60_000;
const EVENT_QUEUE_LIMIT = 10_000;

interface ArmClients {
  readonly assigner: IdentityAssigner;
  /** Federated identity credentials (`--manage-federated-credentials`), with the same cloud and credentials. */
  readonly federatedCredentials: SdkFederatedCredentialClient;
}

function buildAssigner(cloud: CloudConfig, options: RunMicOptions): ArmClients {
  const { config, env, metrics } = options;
  let environment: ReturnType<typeof resolveCloudEnvironment>;
  try {
    environment = resolveCloudEnvironment({ cloud: cloud.cloud, env });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const credential = createArmCredential({
    environment,
    useManagedIdentityExtension: cloud.useManagedIdentityExtension,
    userAssignedIdentityID: cloud.userAssignedIdentityID,
    tenantId: cloud.tenantId,
    aadClientId: cloud.aadClientId,
    aadClientSecret: cloud.aadClientSecret,
  });
  const userAgentPrefix = formatUserAgent({
    component: 'MIC',
    ...options.build,
    customUserAgent: config.customUserAgent,
  });
  const federatedCredentials = new SdkFederatedCredentialClient({
    credential,
    resourceManagerEndpointUrl: environment.resourceManagerEndpointUrl,
    tokenScope: armTokenScope(environment),
    userAgentPrefix,
  });
  const assigner = createArmIdentityAssigner({
    environment,
    credential,
    planPatch: planArmPatch,
    updateUserMsiMaxRetry: config.updateUserMsi.maxRetry,
    updateUserMsiRetryIntervalMs: config.updateUserMsi.retryIntervalMs,
    pollIntervalMs: config.armPollIntervalMs,
    userAgentPrefix,
    onArmCall: (event) => {
      recordArmCall(metrics, event);
      if (event.retryAfterNote !== undefined) {
        options.logger.warn({ operation: event.operation, errorCode: event.errorCode }, event.retryAfterNote);
      }
    },
  });
  return { assigner, federatedCredentials };
}

/**
 * Watches the cloud config file and rebuilds the ARM credentials when it changes (spec §2.1 step 8), so rotated
 * secrets apply without a restart. A broken rewrite is logged and the previous credentials stay in use.
 */
function watchCloudConfig(path: string, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(path, () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, 200);
  });
  watcher.on('error', () => {});
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}

/** Runs MIC until `signal` aborts or leadership is lost; resolves with the process exit status. */
export async function runMic(options: RunMicOptions): Promise<number> {
  const { config, env, logger, metrics, signal } = options;

  let cloud: CloudConfig;
  let assigner: IdentityAssigner;
  let federatedCredentialClient: SdkFederatedCredentialClient;
  try {
    cloud = await loadCloudConfig(config.cloudConfigPath, env);
    ({ assigner, federatedCredentials: federatedCredentialClient } = buildAssigner(cloud, options));
  } catch (error) {
    logger.error({ err: error instanceof Error ? error.message : String(error) }, 'invalid cloud configuration');
    return ExitCode.BadConfig;
  }
  // The controller holds this indirection, so a credential reload swaps the assigner under it.
  const arm: IdentityDeltaApplier = {
    applyIdentityDelta: (target, delta) => assigner.applyIdentityDelta(target, delta),
    getIdentityState: (target) => assigner.getIdentityState(target),
  };
  const federatedArm: FederatedCredentialArm = {
    list: (id) => federatedCredentialClient.list(id),
    create: (id, credential) => federatedCredentialClient.create(id, credential),
    delete: (id, name) => federatedCredentialClient.delete(id, name),
  };
  const stopWatchingCloudConfig = config.cloudConfigPath
    ? watchCloudConfig(config.cloudConfigPath, () => {
        loadCloudConfig(config.cloudConfigPath, env)
          .then((next) => {
            ({ assigner, federatedCredentials: federatedCredentialClient } = buildAssigner(next, options));
            logger.info({ path: config.cloudConfigPath }, 'cloud config changed; ARM credentials reloaded');
          })
          .catch((error: unknown) =>
            logger.error({ err: String(error) }, 'cloud config changed but cannot be used; keeping the previous one'),
          );
      })
    : () => {};

  let connection: ReturnType<typeof createKubeConnection>;
  let leaseConnection: ReturnType<typeof createKubeConnection>;
  try {
    const kubeConfig = createKubeConfig(
      config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : { inCluster: true },
    );
    const userAgent = formatUserAgent({ component: 'MIC', ...options.build, customUserAgent: config.customUserAgent });
    connection = createKubeConnection({ kubeConfig, userAgent, qps: config.clientQps });
    // Lease renewals must never wait behind a burst of assignment writes in the --clientQps limiter: a leader that
    // cannot renew in time loses the lease mid-work. One renewal per retry period needs no client-side limit.
    leaseConnection = createKubeConnection({ kubeConfig, userAgent, qps: -1 });
  } catch (error) {
    stopWatchingCloudConfig();
    logger.error(
      { err: error instanceof Error ? error.message : String(error) },
      'cannot configure the Kubernetes client',
    );
    return ExitCode.BadConfig;
  }

  // Room for a burst's events (one per pod and reason, plus upstream's on bindings) without dropping any.
  const recorder = new EventRecorder({
    connection,
    host: config.leaderElection.instance,
    logger,
    maxPending: EVENT_QUEUE_LIMIT,
  });
  const onInvalidObject = createInvalidObjectReporter(recorder);
  const clients = createCrdClients({ connection, logger, onInvalidObject });

  let active = false;
  const health = await startHealthServer({ port: config.httpProbePort, isActive: () => active });
  const metricsServer = await startMetricsServer({ port: config.prometheusPort, registry: metrics.registry });
  logger.info(
    { healthz: `${health.url}/healthz`, metrics: `${metricsServer.url}/metrics` },
    'probe and metrics listening',
  );
  options.onListening?.({ health, metrics: metricsServer });

  let fatal: unknown;
  let leadWork: Promise<void> = Promise.resolve();
  const elector = new LeaderElector({
    lock: new LeaseLock(leaseConnection, config.leaderElection.namespace, config.leaderElection.name),
    identity: config.leaderElection.instance,
    leaseDurationMs: config.leaderElection.leaseDurationMs,
    logger,
    onNewLeader: (identity) => logger.info({ leader: identity }, 'new leader elected'),
    onStartedLeading: (leading) => {
      leadWork = lead(leading).catch((error: unknown) => {
        fatal = error;
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'leader work failed');
        electionAbort.abort();
      });
    },
  });

  const lead = async (leading: AbortSignal) => {
    logger.info({ instance: config.leaderElection.instance }, 'became leader');
    if (config.typeUpgrade.enabled) {
      const result = await runTypeUpgrade({
        connection,
        namespace: config.podNamespace,
        configMapName: config.typeUpgrade.configMapName,
        statusKey: config.typeUpgrade.statusKey,
        version: options.build.version,
        log: (message, fields) => logger.info(fields ?? {}, message),
      });
      if (!result.alreadyDone) logger.info({ rewritten: result.rewritten }, 'type upgrade done');
    }
    const informerSettings = { connection, logger, onInvalidObject };
    const sources = {
      // Matching reads a handful of fields; whole pods would be most of MIC's memory on a large cluster.
      pods: createPodInformer({ ...informerSettings, requireBindingLabel: true, matchingFieldsOnly: true }),
      nodes: createNodeInformer({ ...informerSettings, mappingFieldsOnly: true }),
      identities: createIdentityInformer(informerSettings),
      bindings: createBindingInformer(informerSettings),
      assignedIdentities: createAssignedIdentityInformer(informerSettings),
    };
    const informers = Object.values(sources);
    for (const informer of informers) informer.start();
    const stopInformers = () => Promise.all(informers.map((informer) => informer.stop()));
    try {
      await Promise.race([
        Promise.all(informers.map((informer) => informer.synced)),
        new Promise((_, reject) => leading.addEventListener('abort', () => reject(new Error('stopped')))),
      ]);
    } catch (error) {
      await stopInformers();
      if (leading.aborted) return;
      throw error;
    }
    const uidOf = (kind: 'Pod' | 'Node', namespace: string | undefined, name: string) =>
      (kind === 'Pod' ? sources.pods.get(namespace, name) : sources.nodes.get(undefined, name))?.metadata.uid;
    const problems = new ProblemReporter({
      events: recorder,
      log: (message, fields) => logger.warn(fields, message),
      filter: new OncePerInterval(PROBLEM_REPORT_INTERVAL_MS, Date.now),
      uidOf: (subject) =>
        subject.kind === 'Pod' || subject.kind === 'Node'
          ? uidOf(subject.kind, subject.namespace, subject.name)
          : subject.kind === 'AzureIdentity'
            ? sources.identities.get(subject.namespace, subject.name)?.metadata.uid
            : undefined,
    });
    const federatedCredentials =
      config.federatedCredentials === undefined
        ? undefined
        : new FederatedCredentialManager({
            arm: federatedArm,
            issuerUrl: config.federatedCredentials.issuerUrl,
            problems,
            log: (level, message, fields) => logger[level](fields, message),
          });
    const controller = new MicController({
      sources,
      ...(federatedCredentials === undefined ? {} : { federatedCredentials }),
      writer: assignedIdentityWriter(clients.assignedIdentities),
      arm,
      events: assignmentEvents(recorder, { uidOf, filter: new OncePerInterval(PROBLEM_REPORT_INTERVAL_MS, Date.now) }),
      problems,
      observer: controllerObserver(metrics, logger),
      namespaced: config.namespaced,
      reconciler: {
        subscriptionId: cloud.subscriptionId,
        resourceGroup: cloud.resourceGroup,
        immutableClientIds: config.immutableClientIds,
        clusterIdentityClientId: cloud.userAssignedIdentityID || undefined,
      },
      writeConcurrency: config.createDeleteBatch,
      debounceMs: config.syncDebounceMs,
      syncIntervalMs: config.syncRetryIntervalMs,
      identityReconcileIntervalMs: config.identityReconcileIntervalMs,
    });
    controller.start();
    active = true;
    logger.info({ pods: sources.pods.size, nodes: sources.nodes.size }, 'caches synced; sync loop started');
    await new Promise<void>((resolve) => {
      if (leading.aborted) resolve();
      else leading.addEventListener('abort', () => resolve(), { once: true });
    });
    active = false;
    await controller.stop();
    await stopInformers();
  };

  metrics.micNewLeaderElectionCount.inc();
  const electionAbort = new AbortController();
  const onStop = () => electionAbort.abort();
  signal.addEventListener('abort', onStop, { once: true });
  if (signal.aborted) electionAbort.abort();
  const end = await elector.run(electionAbort.signal);
  await leadWork;

  active = false;
  signal.removeEventListener('abort', onStop);
  stopWatchingCloudConfig();
  await recorder.flush().catch(() => {});
  await Promise.all([health.close(), metricsServer.close()]);
  if (fatal !== undefined) return ExitCode.Fatal;
  if (end === 'lost') {
    logger.error('lost leader lease');
    return ExitCode.Fatal;
  }
  return ExitCode.Ok;
}

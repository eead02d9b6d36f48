import type { ExceptionLookup, IdentitySource, PodLookup } from '@podid/imds-proxy';
import {
  createAssignedIdentityInformer,
  createBindingInformer,
  createExceptionInformer,
  createIdentityInformer,
  createPodInformer,
  type KubeConnection,
  podKey,
} from '@podid/kube-client';
import type { Logger } from '@podid/observability';

/** Upstream's informer resync period (spec §3.1 step 3). */
const RESYNC_INTERVAL_MS = 10 * 60_000;

export interface ClusterCacheOptions {
  readonly connection: KubeConnection;
  readonly nodeName: string;
  readonly operationMode: 'standard' | 'managed';
  /** `--enableScaleFeatures`: list and watch only this node's AzureAssignedIdentities (label `nodename`). */
  readonly watchOnlyThisNode: boolean;
  readonly logger: Logger;
}

/** NMI's view of the cluster: informer caches behind the lookup interfaces imds-proxy asks. */
export interface ClusterCache {
  readonly pods: PodLookup;
  readonly exceptions: ExceptionLookup;
  readonly identities: IdentitySource;
  /** Resolves once every informer has listed once; rejects if the cache is stopped first. */
  readonly synced: Promise<void>;
  /** Kinds whose first list has not completed yet (for the "waiting for caches" log). */
  pendingKinds(): string[];
  stop(): Promise<void>;
}

interface Startable {
  readonly synced: Promise<void>;
  readonly hasSynced: boolean;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Starts the informers NMI needs (spec §3.1 step 3): this node's pods (field selector `spec.nodeName`), the
 * exceptions, and either the AzureAssignedIdentities (standard mode) or the bindings and identities (managed mode).
 * Every lookup on the request path is an index read; nothing asks the API server per request except secrets.
 */
export function startClusterCache(options: ClusterCacheOptions): ClusterCache {
  const settings = {
    connection: options.connection,
    logger: options.logger,
    resyncIntervalMs: RESYNC_INTERVAL_MS,
  };
  const podInformer = createPodInformer({ ...settings, nodeName: options.nodeName });
  const exceptionInformer = createExceptionInformer(settings);
  const running: Array<[string, Startable]> = [
    ['Pod', podInformer],
    ['AzurePodIdentityException', exceptionInformer],
  ];

  let identities: IdentitySource;
  if (options.operationMode === 'standard') {
    const assignedInformer = createAssignedIdentityInformer({
      ...settings,
      ...(options.watchOnlyThisNode ? { nodeName: options.nodeName } : {}),
    });
    // Bindings too (NMI's RBAC already reads them, as upstream's does): a pod whose label no binding selects is
    // answered at once rather than after the whole retry budget.
    const bindingInformer = createBindingInformer(settings);
    running.push(['AzureAssignedIdentity', assignedInformer], ['AzureIdentityBinding', bindingInformer]);
    identities = {
      mode: 'standard',
      bindingsWithSelector: (selector) =>
        bindingInformer.list().filter((binding) => binding.spec.selector === selector),
      assignedIdentitiesForPod: (namespace, podName) => assignedInformer.byIndex('byPod', podKey(namespace, podName)),
      // Wakes a request waiting for MIC the moment the pod's AzureAssignedIdentity changes (e.g. turns Assigned).
      assignedIdentitiesChanged: (namespace, podName, signal) =>
        new Promise<void>((resolve, reject) => {
          const forPod = (object: { spec: { pod?: string | undefined; podNamespace?: string | undefined } }) =>
            object.spec.pod === podName && object.spec.podNamespace === namespace;
          const unsubscribe = assignedInformer.onChange((change) => {
            if (!forPod(change.object)) return;
            finish();
            resolve();
          });
          const onAbort = () => {
            finish();
            reject(signal.reason);
          };
          const finish = () => {
            unsubscribe();
            signal.removeEventListener('abort', onAbort);
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }),
    };
  } else {
    const bindingInformer = createBindingInformer(settings);
    const identityInformer = createIdentityInformer(settings);
    running.push(['AzureIdentityBinding', bindingInformer], ['AzureIdentity', identityInformer]);
    identities = {
      mode: 'managed',
      bindingsInNamespace: (namespace) => bindingInformer.byIndex('byNamespace', namespace),
      identitiesInNamespace: (namespace) => identityInformer.byIndex('byNamespace', namespace),
    };
  }

  for (const [, informer] of running) informer.start();
  const synced = Promise.all(running.map(([, informer]) => informer.synced)).then(() => undefined);
  // The caller may stop before awaiting; an unobserved rejection must not crash the process.
  synced.catch(() => {});

  return {
    pods: {
      podsByIp: (ip) => podInformer.byIndex('byIP', ip),
      podByName: (namespace, name) => podInformer.get(namespace, name),
    },
    exceptions: {
      exceptionsInNamespace: (namespace) => exceptionInformer.byIndex('byNamespace', namespace),
    },
    identities,
    synced,
    pendingKinds: () => running.filter(([, informer]) => !informer.hasSynced).map(([kind]) => kind),
    stop: async () => {
      await Promise.all(running.map(([, informer]) => informer.stop()));
    },
  };
}

import { API_GROUP, type Node, type Pod, parseNode, parsePod } from '@podid/crd-types';
import {
  createCrdClients,
  createKubeConnection,
  type InvalidObjectReport,
  isNotFound,
  type KubeConnection,
  kubeConfigFromClientNode,
  unlimitedRateLimiter,
} from '@podid/kube-client';
import type { KubeConfig } from '@kubernetes/client-node';
import type {
  ClusterEvent,
  IdentityObjects,
  LeaseReading,
  NmiDaemonSet,
  NmiPod,
  NmiReading,
} from './cluster-objects.js';
import { CliError } from './errors.js';
import { requestFailure } from './request-errors.js';

/** Labels that mark NMI's DaemonSet: podid's manifests, and upstream's Helm chart and manifests. */
const NMI_LABELS: readonly (readonly [string, string])[] = [
  ['app.kubernetes.io/component', 'nmi'],
  ['app.kubernetes.io/name', 'nmi'],
  ['component', 'nmi'],
];

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const integer = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const timeMs = (value: unknown): number | undefined => {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
};

export interface ClusterReaderOptions {
  readonly kubeConfig: KubeConfig;
  readonly userAgent: string;
  readonly requestTimeoutMs: number;
}

/** Everything kubectl-podid reads, each read turned into one clear CliError when it fails. Read-only. */
export class ClusterReader {
  private readonly connection: KubeConnection;
  private readonly server: string;

  constructor(options: ClusterReaderOptions) {
    // kubectl-podid loads and merges KUBECONFIG with client-node itself, so its KubeConfig supplies every request's
    // credentials (exec plugins such as kubelogin included); podid's transport sends the requests.
    this.connection = createKubeConnection({
      kubeConfig: kubeConfigFromClientNode(options.kubeConfig),
      userAgent: options.userAgent,
      rateLimiter: unlimitedRateLimiter,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    this.server = options.kubeConfig.getCurrentCluster()?.server ?? '';
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw requestFailure(error, what, this.server);
    }
  }

  /** A list in pages, as raw objects. */
  private async listRaw(what: string, path: string, query: Record<string, string | undefined> = {}): Promise<Json[]> {
    const items: Json[] = [];
    let continueToken: string | undefined;
    do {
      const page = record(
        await this.read(what, () => this.connection.getJson(path, { ...query, limit: '500', continue: continueToken })),
      );
      for (const item of Array.isArray(page['items']) ? page['items'] : []) items.push(record(item));
      continueToken = text(record(page['metadata'])['continue']) || undefined;
    } while (continueToken !== undefined);
    return items;
  }

  async pod(namespace: string, name: string): Promise<Pod> {
    const what = `get pod ${namespace}/${name}`;
    let raw: unknown;
    try {
      raw = await this.connection.getJson(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (isNotFound(error)) {
        throw new CliError('POD_NOT_FOUND', `pods "${name}" not found in namespace "${namespace}"`, { cause: error });
      }
      throw requestFailure(error, what, this.server);
    }
    return this.parsedPod(raw, what);
  }

  private parsedPod(raw: unknown, what: string): Pod {
    const parsed = parsePod(raw);
    if (!parsed.ok) throw new CliError('API_ERROR', `cannot ${what}: ${parsed.error.message}`);
    return parsed.value;
  }

  /** Pods in one namespace (or all) with an optional label selector; malformed pods are left out, as MIC does. */
  async pods(options: {
    namespace?: string | undefined;
    labelSelector?: string;
    fieldSelector?: string;
  }): Promise<Pod[]> {
    const path = options.namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${options.namespace}/pods`;
    const raw = await this.listRaw('list pods', path, {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    });
    return raw.flatMap((item) => {
      const parsed = parsePod(item);
      return parsed.ok ? [parsed.value] : [];
    });
  }

  /** The node, or undefined when it does not exist (a deleted node never aborts diagnosis). */
  async node(name: string): Promise<Node | undefined> {
    try {
      const parsed = parseNode(await this.connection.getJson(`/api/v1/nodes/${encodeURIComponent(name)}`));
      return parsed.ok ? parsed.value : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw requestFailure(error, `get node ${name}`, this.server);
    }
  }

  async nodes(): Promise<Node[]> {
    return (await this.listRaw('list nodes', '/api/v1/nodes')).flatMap((item) => {
      const parsed = parseNode(item);
      return parsed.ok ? [parsed.value] : [];
    });
  }

  /**
   * The four aadpodidentity kinds through kube-client's CRD clients, MIC's own read path: identical validation, and
   * the objects it would skip reported rather than silently lost.
   */
  async identityObjects(options: { exceptionsNamespace?: string | undefined } = {}): Promise<IdentityObjects> {
    const invalidObjects: InvalidObjectReport[] = [];
    const clients = createCrdClients({
      connection: this.connection,
      onInvalidObject: (report) => invalidObjects.push(report),
    });
    const list = async <T>(plural: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (isNotFound(error)) {
          throw new CliError(
            'CRDS_MISSING',
            `the server does not serve ${plural}.${API_GROUP}: are podid's (aad-pod-identity's) CRDs installed?`,
            { cause: error },
          );
        }
        throw requestFailure(error, `list ${plural}.${API_GROUP}`, this.server);
      }
    };
    const exceptionScope = options.exceptionsNamespace === undefined ? {} : { namespace: options.exceptionsNamespace };
    const [identities, bindings, assignedIdentities, exceptions] = await Promise.all([
      list('azureidentities', () => clients.identities.list()),
      list('azureidentitybindings', () => clients.bindings.list()),
      list('azureassignedidentities', () => clients.assignedIdentities.list()),
      list('azurepodidentityexceptions', () => clients.exceptions.list(exceptionScope)),
    ]);
    return { identities, bindings, assignedIdentities, exceptions, invalidObjects };
  }

  /** Events in the given namespaces about any of `objects` (kind/namespace/name), newest first. */
  async eventsAbout(objects: readonly { kind: string; namespace: string; name: string }[]): Promise<ClusterEvent[]> {
    const wanted = new Set(objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`));
    const namespaces = [...new Set(objects.map((o) => o.namespace))].sort();
    const events: ClusterEvent[] = [];
    for (const namespace of namespaces) {
      for (const raw of await this.listRaw(`list events in ${namespace}`, `/api/v1/namespaces/${namespace}/events`)) {
        const involved = record(raw['involvedObject']);
        const event: ClusterEvent = {
          type: text(raw['type']),
          reason: text(raw['reason']),
          message: text(raw['message']),
          count: integer(raw['count']) ?? 1,
          lastSeenMs: timeMs(raw['lastTimestamp']) ?? timeMs(raw['eventTime']) ?? timeMs(raw['firstTimestamp']),
          component: text(record(raw['source'])['component']) || text(raw['reportingComponent']),
          involvedObject: {
            kind: text(involved['kind']),
            namespace: text(involved['namespace']) || namespace,
            name: text(involved['name']),
          },
        };
        const key = `${event.involvedObject.kind}/${event.involvedObject.namespace}/${event.involvedObject.name}`;
        if (wanted.has(key)) events.push(event);
      }
    }
    return events.sort((a, b) => (b.lastSeenMs ?? 0) - (a.lastSeenMs ?? 0));
  }

  /** MIC's Lease; a missing Lease or a refused read is reported, not thrown (diagnosis goes on without it). */
  async lease(namespace: string, name: string): Promise<LeaseReading> {
    try {
      const raw = record(
        await this.connection.getJson(
          `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`,
        ),
      );
      const spec = record(raw['spec']);
      return {
        found: true,
        namespace,
        name,
        holder: text(spec['holderIdentity']),
        renewTimeMs: timeMs(spec['renewTime']) ?? timeMs(spec['acquireTime']),
        leaseDurationSeconds: integer(spec['leaseDurationSeconds']),
      };
    } catch (error) {
      if (isNotFound(error)) return { found: false, namespace, name };
      const failure = requestFailure(error, `get lease ${namespace}/${name}`, this.server);
      if (failure.code === 'API_UNREACHABLE') throw failure;
      return { found: false, namespace, name, error: failure.message };
    }
  }

  /** NMI's DaemonSets (by label) and their pods; unreadable DaemonSets are reported, not thrown. */
  async nmi(): Promise<NmiReading> {
    let daemonSets: Json[];
    try {
      daemonSets = (await this.listRaw('list daemonsets.apps', '/apis/apps/v1/daemonsets')).filter(isNmiDaemonSet);
    } catch (error) {
      if (error instanceof CliError && error.code === 'API_UNREACHABLE') throw error;
      return { readable: false, error: error instanceof Error ? error.message : String(error) };
    }
    const summaries: NmiDaemonSet[] = [];
    const pods: NmiPod[] = [];
    for (const daemonSet of daemonSets) {
      const metadata = record(daemonSet['metadata']);
      const namespace = text(metadata['namespace']);
      const status = record(daemonSet['status']);
      summaries.push({
        namespace,
        name: text(metadata['name']),
        desired: integer(status['desiredNumberScheduled']),
        ready: integer(status['numberReady']),
      });
      const matchLabels = record(record(record(daemonSet['spec'])['selector'])['matchLabels']);
      const selector = Object.entries(matchLabels)
        .map(([key, value]) => `${key}=${text(value)}`)
        .join(',');
      if (selector === '') continue;
      for (const raw of await this.listRaw('list NMI pods', `/api/v1/namespaces/${namespace}/pods`, {
        labelSelector: selector,
      })) {
        pods.push(nmiPodOf(raw));
      }
    }
    return { readable: true, daemonSets: summaries, pods };
  }
}

function isNmiDaemonSet(daemonSet: Json): boolean {
  const labelSets = [
    record(record(daemonSet['metadata'])['labels']),
    record(record(record(record(daemonSet['spec'])['template'])['metadata'])['labels']),
  ];
  return labelSets.some((labels) => NMI_LABELS.some(([key, value]) => labels[key] === value));
}

function nmiPodOf(raw: Json): NmiPod {
  const metadata = record(raw['metadata']);
  const status = record(raw['status']);
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].map(record) : [];
  return {
    namespace: text(metadata['namespace']),
    name: text(metadata['name']),
    nodeName: text(record(raw['spec'])['nodeName']),
    phase: text(status['phase']),
    ready: conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True'),
  };
}

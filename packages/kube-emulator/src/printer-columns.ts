/**
 * Built-in server-side printer columns (what `kubectl get` shows for built-in kinds) and the age formatting the
 * real server uses in table cells.
 */
import type { KubeObject, PrinterColumn } from './resource-types.js';

/** Same buckets as k8s.io/apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function ageOf(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const nameColumn: PrinterColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  compute: (o) => o['metadata']?.name ?? '',
};
const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  compute: (o, now) => ageOf(o['metadata']?.creationTimestamp, now),
};

function podReady(o: KubeObject): string {
  const specCount = (o['spec']?.containers ?? []).length;
  const ready = (o['status']?.containerStatuses ?? []).filter((c: KubeObject) => c['ready'] === true).length;
  return `${ready}/${specCount}`;
}

function podStatus(o: KubeObject): string {
  if (o['metadata']?.deletionTimestamp) return 'Terminating';
  return o['status']?.reason ?? o['status']?.phase ?? 'Unknown';
}

function podRestarts(o: KubeObject): number {
  return (o['status']?.containerStatuses ?? []).reduce(
    (n: number, c: KubeObject) => n + Number(c['restartCount'] ?? 0),
    0,
  );
}

function nodeStatus(o: KubeObject): string {
  const ready = (o['status']?.conditions ?? []).find((c: KubeObject) => c['type'] === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (o['spec']?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o['metadata']?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length === 0 ? '<none>' : roles.sort().join(',');
}

function col(name: string, compute: PrinterColumn['compute'], type = 'string', priority = 0): PrinterColumn {
  const c: PrinterColumn = { name, type, description: name };
  if (compute !== undefined) c.compute = compute;
  if (priority !== 0) c.priority = priority;
  return c;
}

export const builtinColumns = {
  /** Stored-only kinds (workloads, RBAC): no controller fills their status, so only what is always known. */
  nameAndAge: [nameColumn, ageColumn],
  pods: [
    nameColumn,
    col('Ready', podReady),
    col('Status', podStatus),
    col('Restarts', podRestarts, 'string'),
    ageColumn,
    col('IP', (o) => o['status']?.podIP ?? '<none>', 'string', 1),
    col('Node', (o) => o['spec']?.nodeName ?? '<none>', 'string', 1),
  ],
  nodes: [
    nameColumn,
    col('Status', nodeStatus),
    col('Roles', nodeRoles),
    ageColumn,
    col('Version', (o) => o['status']?.nodeInfo?.kubeletVersion ?? ''),
  ],
  namespaces: [nameColumn, col('Status', (o) => o['status']?.phase ?? ''), ageColumn],
  secrets: [
    nameColumn,
    col('Type', (o) => o['type'] ?? 'Opaque'),
    col('Data', (o) => Object.keys(o['data'] ?? {}).length, 'integer'),
    ageColumn,
  ],
  configmaps: [
    nameColumn,
    col('Data', (o) => Object.keys(o['data'] ?? {}).length + Object.keys(o['binaryData'] ?? {}).length, 'integer'),
    ageColumn,
  ],
  events: [
    col('Last Seen', (o, now) => ageOf(o['lastTimestamp'] ?? o['eventTime'] ?? o['metadata']?.creationTimestamp, now)),
    col('Type', (o) => o['type'] ?? ''),
    col('Reason', (o) => o['reason'] ?? ''),
    col('Object', (o) => `${String(o['involvedObject']?.kind ?? '').toLowerCase()}/${o['involvedObject']?.name ?? ''}`),
    col('Message', (o) => o['message'] ?? ''),
  ],
  eventsV1: [
    nameColumn,
    col('Type', (o) => o['type'] ?? ''),
    col('Reason', (o) => o['reason'] ?? ''),
    col('Note', (o) => o['note'] ?? ''),
    ageColumn,
  ],
  serviceaccounts: [nameColumn, col('Secrets', (o) => (o['secrets'] ?? []).length, 'integer'), ageColumn],
  leases: [nameColumn, col('Holder', (o) => o['spec']?.holderIdentity ?? ''), ageColumn],
  customresourcedefinitions: [nameColumn, col('Created At', (o) => o['metadata']?.creationTimestamp ?? '', 'date')],
} satisfies Record<string, PrinterColumn[]>;

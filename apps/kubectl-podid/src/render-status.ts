import type { ClusterStatus } from './status-types.js';
import { formatAge, formatTable } from './text-table.js';

const ref = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

function section(out: string[], title: string, headers: string[], rows: string[][]): void {
  out.push('', `${title}:`);
  if (rows.length === 0) out.push('  <none>');
  else
    out.push(
      ...formatTable(headers, rows)
        .split('\n')
        .map((line) => `  ${line}`),
    );
}

/** The human-readable form of `kubectl podid status`. */
export function renderStatus(s: ClusterStatus): string {
  const out: string[] = [];
  const a = s.counts.assignedIdentities;
  out.push(`Scope:                  ${s.namespace === null ? 'all namespaces' : `namespace ${s.namespace}`}`);
  out.push(`AzureIdentities:        ${s.counts.identities}`);
  out.push(`AzureIdentityBindings:  ${s.counts.bindings}`);
  out.push(`Exceptions:             ${s.counts.exceptions}`);
  out.push(`Labelled pods:          ${s.counts.labelledPods}`);
  out.push(
    `AssignedIdentities:     ${a.total} (Created ${a.Created}, Assigned ${a.Assigned}, Unassigned ${a.Unassigned}, other ${a.other})`,
  );
  const l = s.micLeader;
  let leader: string;
  if (l.error !== null) leader = `cannot read Lease ${ref(l)}: ${l.error}`;
  else if (!l.found) leader = `none (Lease ${ref(l)} not found)`;
  else if (l.held) leader = `${l.holder} (Lease ${ref(l)}, renewed ${formatAge(l.renewedSecondsAgo)} ago)`;
  else
    leader = `none active (Lease ${ref(l)} last renewed ${formatAge(l.renewedSecondsAgo)} ago by ${l.holder || '<nobody>'})`;
  out.push(`MIC leader:             ${leader}`);

  section(
    out,
    'Identities without a binding',
    ['IDENTITY'],
    s.identitiesWithoutBinding.map((i) => [ref(i)]),
  );
  section(
    out,
    'Bindings without an identity',
    ['BINDING', 'NAMES IDENTITY'],
    s.bindingsWithoutIdentity.map((b) => [ref(b), b.identity]),
  );
  section(
    out,
    'Labelled pods that match nothing',
    ['POD', 'LABEL', 'REASON'],
    s.unmatchedPods.map((p) => [ref(p), p.label, p.reasons.map((r) => r.code).join(', ') || '-']),
  );
  section(
    out,
    `Assignments Created for more than ${formatAge(s.stuckAfterSeconds)}`,
    ['NAME', 'POD', 'IDENTITY', 'NODE', 'AGE'],
    s.stuckAssignments.map((x) => [ref(x), ref(x.pod), ref(x.identity), x.nodeName, formatAge(x.ageSeconds)]),
  );
  if (!s.nmi.readable) out.push('', `NMI: cannot read DaemonSets: ${s.nmi.error}`);
  else if (s.nmi.daemonSets.length === 0) {
    out.push(
      '',
      'NMI: no DaemonSet labelled app.kubernetes.io/component=nmi, app.kubernetes.io/name=nmi or component=nmi',
    );
  } else {
    section(
      out,
      'NMI pods per node',
      ['NODE', 'READY', 'PODS'],
      [
        ...s.nmi.nodes.map((n) => [
          n.nodeName,
          n.ready ? 'yes' : 'no',
          n.pods.map((p) => `${p.name}${p.ready ? '' : ` (${p.phase || 'not ready'})`}`).join(', '),
        ]),
        ...s.nmi.nodesWithoutNmi.map((node) => [node, 'no', '<no NMI pod>']),
      ],
    );
  }
  if (s.invalidObjects.length > 0) {
    section(
      out,
      'Invalid objects (MIC skips them)',
      ['KIND', 'OBJECT', 'ERROR'],
      s.invalidObjects.map((o) => [o.kind, ref(o), o.error]),
    );
  }
  return `${out.join('\n')}\n`;
}

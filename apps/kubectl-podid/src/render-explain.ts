import type { PodExplanation } from './explanation-types.js';
import { describeNodeArmTarget } from './node-target.js';
import { formatAge, formatTable } from './text-table.js';

const ref = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

/** The human-readable form of `kubectl podid explain`. */
export function renderExplanation(e: PodExplanation): string {
  const out: string[] = [];
  const label = e.pod.label === null ? '<none>' : JSON.stringify(e.pod.label);
  out.push(`Pod:       ${ref(e.pod)}`);
  out.push(`Label:     aadpodidbinding=${label}`);
  out.push(`Node:      ${e.pod.nodeName ?? '<none>'}`);
  out.push(`Phase:     ${e.pod.phase ?? '<none>'}`);
  out.push(
    `Mode:      ${e.namespacedMode ? 'namespaced (--namespaced)' : 'default (identities usable from any namespace unless annotated namespaced)'}`,
  );
  out.push(`Verdict:   ${e.verdict.hasAssignedIdentity ? 'OK' : 'NO IDENTITY'}: ${e.verdict.summary}`);
  if (e.podReasons.length > 0) {
    out.push('', 'Pod reasons:');
    for (const reason of e.podReasons) out.push(`  ${reason.code}: ${reason.message}`);
  }
  out.push('', 'Bindings with selector equal to the label:');
  if (e.bindings.length === 0) out.push('  <none>');
  else {
    const rows = e.bindings.map((b) => [ref(b.binding), ref(b.identity), b.matched ? 'yes' : 'no', b.code, b.message]);
    out.push(indent(formatTable(['BINDING', 'IDENTITY', 'MATCHED', 'REASON', 'DETAIL'], rows)));
  }
  if (!e.verdict.hasAssignedIdentity && e.nearestSelectors.length > 0) {
    out.push('', 'Nearest selectors (matching is exact and case-sensitive):');
    const rows = e.nearestSelectors.map((n) => [
      JSON.stringify(n.selector),
      ref(n.binding),
      String(n.distance),
      n.caseInsensitiveMatch ? 'differs only in case' : '',
    ]);
    out.push(indent(formatTable(['SELECTOR', 'BINDING', 'DISTANCE', 'NOTE'], rows)));
  }
  out.push('', 'AzureAssignedIdentities:');
  if (e.assignedIdentities.length === 0) out.push('  <none>');
  else {
    const rows = e.assignedIdentities.map((a) => [
      ref(a),
      ref(a.identity),
      a.state || '<none>',
      formatAge(a.ageSeconds),
      a.nodeName,
      describeNodeArmTarget(a.armTarget),
    ]);
    out.push(indent(formatTable(['NAME', 'IDENTITY', 'STATE', 'AGE', 'NODE', 'VM/VMSS'], rows)));
    for (const a of e.assignedIdentities) {
      if (a.events === null) continue;
      out.push('', `  MIC events for ${ref(a)} (Created for ${formatAge(a.ageSeconds)}):`);
      if (a.events.length === 0) out.push('    <none>');
      for (const event of a.events) {
        out.push(
          `    ${formatAge(event.lastSeenSecondsAgo)} ago  ${event.type}  ${event.reason}  ${event.involvedObject.kind}/${event.involvedObject.name}${event.count > 1 ? ` (x${event.count})` : ''}: ${event.message}`,
        );
      }
    }
  }
  if (e.micLeader !== null) {
    const l = e.micLeader;
    let line: string;
    if (l.error !== null) line = `cannot read Lease ${ref(l)}: ${l.error}`;
    else if (!l.found)
      line = `Lease ${ref(l)} not found: no MIC has ever led (is MIC running? --lease-namespace/--lease-name)`;
    else if (l.held) line = `${l.holder} holds Lease ${ref(l)} (renewed ${formatAge(l.renewedSecondsAgo)} ago)`;
    else
      line = `no active leader: Lease ${ref(l)} last renewed ${formatAge(l.renewedSecondsAgo)} ago by ${l.holder || '<nobody>'}, duration ${l.leaseDurationSeconds ?? '?'}s`;
    out.push('', `MIC leader: ${line}`);
  }
  const pick = e.nmiDefault;
  out.push(
    '',
    `NMI without client_id: ${pick.identity === null ? '<none>' : `${ref(pick.identity)} (clientID ${pick.identity.clientID})`}`,
  );
  out.push(`  ${pick.arbitrary ? 'WARNING: ' : ''}${pick.note}`);
  return `${out.join('\n')}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

import { describe, expect, test } from '@jest/globals';
import type { AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';
import { findInputProblems } from './input-problems.js';
import { OncePerInterval } from './once-per-interval.js';
import { ProblemReporter } from './problem-reporter.js';

const RID = '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x';

function world() {
  const identities: AzureIdentity[] = [
    { metadata: { namespace: 'ns', name: 'no-client', uid: 'u1' }, spec: { resourceID: RID } },
    { metadata: { namespace: 'ns', name: 'fine' }, spec: { clientID: 'c', resourceID: RID } },
  ];
  const bindings: AzureIdentityBinding[] = [
    { metadata: { namespace: 'ns', name: 'ghost-b' }, spec: { azureIdentity: 'ghost', selector: 'g' } },
    { metadata: { namespace: 'ns', name: 'empty-b' }, spec: {} },
    { metadata: { namespace: 'ns', name: 'ok-b' }, spec: { azureIdentity: 'fine', selector: 'f' } },
  ];
  return { identities, bindings };
}

describe('findInputProblems', () => {
  test('names each object at fault with a stable code; valid objects produce nothing', () => {
    const problems = findInputProblems({ ...world(), skipped: [], diagnostics: [] });
    expect(problems.map((p) => [p.subject.kind, p.subject.name, p.reason, p.code])).toEqual([
      ['AzureIdentity', 'no-client', 'InvalidAzureIdentity', 'identity_missing_client_id'],
      ['AzureIdentityBinding', 'ghost-b', 'AzureIdentityNotFound', 'identity_not_found'],
      ['AzureIdentityBinding', 'empty-b', 'InvalidAzureIdentityBinding', 'binding_empty_spec'],
    ]);
    expect(problems[0]?.subject.uid).toBe('u1');
  });

  test('pods skipped for bad input and pods on unmappable nodes are told too', () => {
    const problems = findInputProblems({
      identities: [],
      bindings: [],
      skipped: [
        {
          subject: 'pod_binding',
          code: 'identity_not_found',
          message: 'ghost identity not found when using ns/ghost-b binding',
          pod: { namespace: 'ns', name: 'p' },
          binding: { namespace: 'ns', name: 'ghost-b' },
          identity: { namespace: 'ns', name: 'ghost' },
        },
        { subject: 'pod', code: 'pod_no_node', message: 'not scheduled', pod: { namespace: 'ns', name: 'q' } },
      ],
      diagnostics: [
        {
          code: 'unmappable_provider_id',
          message: 'node vk has providerID "vk://x", which names no Azure VM or VMSS',
          nodeName: 'vk',
        },
        {
          code: 'assignment_skipped',
          message: 'default/a on node vk: not assigned',
          nodeName: 'vk',
          pod: { namespace: 'ns', name: 'r' },
        },
      ],
    });
    expect(problems.map((p) => [p.subject.kind, p.subject.name, p.reason])).toEqual([
      ['Pod', 'p', 'IdentityNotAssigned'],
      ['Node', 'vk', 'NodeNotMappable'],
      ['Pod', 'r', 'IdentityNotAssigned'],
    ]);
  });
});

describe('ProblemReporter', () => {
  test('the same (reason, object) is told once per interval, then again after it; a different object at once', () => {
    let now = 0;
    const events: string[] = [];
    const logs: string[] = [];
    const reporter = new ProblemReporter({
      events: {
        warning: (o, reason, message) => events.push(`${o.kind}/${o.name}/${o.uid ?? ''} ${reason}: ${message}`),
      },
      log: (message, fields) => logs.push(`${String(fields['object'])} ${message}`),
      filter: new OncePerInterval(600_000, () => now),
      uidOf: () => 'looked-up',
    });
    const problems = () => findInputProblems({ ...world(), skipped: [], diagnostics: [] });
    expect(reporter.report(problems())).toBe(3);
    for (let cycle = 0; cycle < 100; cycle++) {
      now += 1000;
      expect(reporter.report(problems())).toBe(0);
    }
    expect(events).toHaveLength(3);
    expect(logs).toEqual([
      'AzureIdentity/ns/no-client AzureIdentity ns/no-client: user-assigned identity (type 0) without spec.clientID; no pod gets this identity until it is fixed',
      'AzureIdentityBinding/ns/ghost-b AzureIdentityBinding ns/ghost-b names AzureIdentity ghost, which does not exist in namespace ns (or is ignored as malformed: see its events)',
      'AzureIdentityBinding/ns/empty-b AzureIdentityBinding ns/empty-b has no spec.azureIdentity and spec.selector; it binds nothing',
    ]);
    expect(events[0]).toMatch(/^AzureIdentity\/no-client\/u1 InvalidAzureIdentity: /);
    expect(events[1]).toMatch(/^AzureIdentityBinding\/ghost-b\/looked-up /);
    now = 600_000;
    expect(reporter.report(problems())).toBe(3); // the interval (10 min) has passed: told once more
  });

  test('the filter stays bounded', () => {
    const filter = new OncePerInterval(1000, () => 0, 10);
    for (let i = 0; i < 100; i++) filter.allow(`k${i}`);
    expect(filter.size).toBe(10);
  });
});

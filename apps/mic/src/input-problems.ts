import type { AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';
import { GROUP_VERSION, validateAzureIdentity } from '@podid/crd-types';
import type { SkipReason } from '@podid/matcher';
import type { PlanDiagnostic } from '@podid/reconciler';

/** What an Event is about: enough of a core/v1 ObjectReference to find the object. */
export interface ProblemSubject {
  readonly apiVersion: string;
  readonly kind: 'AzureIdentity' | 'AzureIdentityBinding' | 'Node' | 'Pod';
  readonly namespace?: string | undefined;
  readonly name: string;
  readonly uid?: string | undefined;
}

/** Event reasons for bad input (podid's own; upstream only logged some of these and said nothing of others). */
export const ProblemReason = {
  InvalidIdentity: 'InvalidAzureIdentity',
  InvalidBinding: 'InvalidAzureIdentityBinding',
  IdentityNotFound: 'AzureIdentityNotFound',
  NodeNotMappable: 'NodeNotMappable',
  /** On a pod: one of its bindings gives it nothing, and why. */
  IdentityNotAssigned: 'IdentityNotAssigned',
  /** On a type-3 AzureIdentity: its user-assigned identity has no room for another federated credential. */
  FederatedCredentialLimit: 'FederatedCredentialLimitReached',
} as const;
export type ProblemReason = (typeof ProblemReason)[keyof typeof ProblemReason];

/** One thing wrong with the cluster's input, to be told once (Warning Event + log line) per interval. */
export interface InputProblem {
  readonly subject: ProblemSubject;
  readonly reason: ProblemReason;
  readonly message: string;
  /** Stable code for logs and tools (e.g. `identity_missing_client_id`). */
  readonly code: string;
}

const CRD_API = GROUP_VERSION;

function identityProblems(identities: readonly AzureIdentity[]): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const identity of identities) {
    const validation = validateAzureIdentity(identity);
    if (validation.ok) continue;
    problems.push({
      subject: {
        apiVersion: CRD_API,
        kind: 'AzureIdentity',
        namespace: identity.metadata.namespace,
        name: identity.metadata.name,
        uid: identity.metadata.uid,
      },
      reason: ProblemReason.InvalidIdentity,
      code: validation.code,
      message: `${validation.message}; no pod gets this identity until it is fixed`,
    });
  }
  return problems;
}

function bindingProblems(
  bindings: readonly AzureIdentityBinding[],
  identities: readonly AzureIdentity[],
): InputProblem[] {
  const known = new Set(identities.map((identity) => `${identity.metadata.namespace}/${identity.metadata.name}`));
  const problems: InputProblem[] = [];
  for (const binding of bindings) {
    const { namespace, name } = binding.metadata;
    const subject: ProblemSubject = {
      apiVersion: CRD_API,
      kind: 'AzureIdentityBinding',
      namespace,
      name,
      uid: binding.metadata.uid,
    };
    const who = `AzureIdentityBinding ${namespace}/${name}`;
    const identityName = binding.spec.azureIdentity ?? '';
    const selector = binding.spec.selector ?? '';
    if (identityName === '' || selector === '') {
      const missing = [identityName === '' ? 'spec.azureIdentity' : '', selector === '' ? 'spec.selector' : '']
        .filter(Boolean)
        .join(' and ');
      problems.push({
        subject,
        reason: ProblemReason.InvalidBinding,
        code: identityName === '' && selector === '' ? 'binding_empty_spec' : 'binding_incomplete_spec',
        message: `${who} has no ${missing}; it binds nothing`,
      });
      continue;
    }
    if (!known.has(`${namespace}/${identityName}`)) {
      problems.push({
        subject,
        reason: ProblemReason.IdentityNotFound,
        code: 'identity_not_found',
        message: `${who} names AzureIdentity ${identityName}, which does not exist in namespace ${namespace} (or is ignored as malformed: see its events)`,
      });
    }
  }
  return problems;
}

/** The matcher's per-pod reasons that come from bad input (not from a pod simply being elsewhere). */
const POD_INPUT_SKIPS: ReadonlySet<string> = new Set(['identity_not_found', 'invalid_identity', 'invalid_resource_id']);

function podProblems(skipped: readonly SkipReason[]): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const skip of skipped) {
    if (skip.subject !== 'pod_binding' || !POD_INPUT_SKIPS.has(skip.code)) continue;
    problems.push({
      subject: { apiVersion: 'v1', kind: 'Pod', namespace: skip.pod.namespace, name: skip.pod.name },
      reason: ProblemReason.IdentityNotAssigned,
      code: skip.code,
      message: `binding ${skip.binding.namespace}/${skip.binding.name} gives this pod no identity: ${skip.message}`,
    });
  }
  return problems;
}

function planProblems(diagnostics: readonly PlanDiagnostic[]): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.code === 'unmappable_provider_id') {
      problems.push({
        subject: { apiVersion: 'v1', kind: 'Node', name: diagnostic.nodeName },
        reason: ProblemReason.NodeNotMappable,
        code: diagnostic.code,
        message: `${diagnostic.message}; pods on it get no identity`,
      });
    } else if (diagnostic.code === 'assignment_skipped' && diagnostic.pod !== undefined) {
      problems.push({
        subject: { apiVersion: 'v1', kind: 'Pod', ...diagnostic.pod },
        reason: ProblemReason.IdentityNotAssigned,
        code: diagnostic.code,
        message: `node ${diagnostic.nodeName} names no Azure VM or VMSS: ${diagnostic.message}`,
      });
    }
  }
  return problems;
}

/**
 * Everything wrong with the input of one sync cycle, each tied to the object at fault and, where a pod is
 * affected, to the pod as well (issue 15 item 11). Pure: the caller decides how often each is told.
 */
export function findInputProblems(input: {
  readonly identities: readonly AzureIdentity[];
  readonly bindings: readonly AzureIdentityBinding[];
  readonly skipped: readonly SkipReason[];
  readonly diagnostics: readonly PlanDiagnostic[];
}): InputProblem[] {
  return [
    ...identityProblems(input.identities),
    ...bindingProblems(input.bindings, input.identities),
    ...podProblems(input.skipped),
    ...planProblems(input.diagnostics),
  ];
}

/** Same object and reason → the same key, whatever the message says (a stuck object is told once). */
export function problemKey(problem: Pick<InputProblem, 'subject' | 'reason'>): string {
  const { kind, namespace, name } = problem.subject;
  return `${problem.reason}\u0000${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

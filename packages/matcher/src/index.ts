// Pods × bindings × identities → desired AzureAssignedIdentity objects (MIC, §2.5)
export { matchAssignments } from './match-assignments.js';
export { MatchMemo, type PodOutcome } from './match-memo.js';
export { assignedIdentityName } from './assigned-identity-name.js';

// Exceptions and identity selection (NMI, §3.7–§3.9)
export { isExcepted } from './exceptions.js';
export { isTerminalPhase } from './pod-eligibility.js';
export {
  identityMatchesRequest,
  identityUsableFromNamespace,
  managedModeCandidates,
  partitionByPodNamespace,
  selectIdentity,
} from './select-identity.js';

export type {
  AssignedIdentityNameParts,
  BindingSkipCode,
  DesiredAssignment,
  IdentityNotFoundError,
  IdentityRequest,
  MatchOptions,
  MatchResult,
  ObjectRef,
  PodBindingSkipCode,
  PodSkipCode,
  SelectIdentityResult,
  SkipCode,
  SkipReason,
} from './types.js';

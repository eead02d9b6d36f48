// One sync cycle: desired vs current → per-target plan (§2.4–§2.9)
export { FEDERATED_PLAN_KEY_SUFFIX, type PlanCycleInput, planCycle, type ReconcilerConfig } from './plan-cycle.js';
export type {
  AssignedIdentityWrite,
  AssignmentOutcome,
  PendingAssignment,
  PendingRelease,
  Plan,
  PlanDiagnostic,
  PlanDiagnosticCode,
  TargetPlan,
} from './plan-types.js';
export type { ProtectedIdentities } from './removal-policy.js';

// After a failed ARM step (§2.9 step 5)
export { classifyAfterFailure } from './failure-classification.js';

// ARM identity PATCH planning (§2.10)
export { planArmPatch } from './arm-patch-plan.js';

// Nodes → VM / VMSS (§2.7)
export {
  type ClusterNode,
  type NodeTargetResolution,
  resolveNodeTarget,
  type VmLocation,
} from './arm-target-resolution.js';

// Periodic identity-assignment reconcile (§2.11)
export {
  type IdentityReconcileInput,
  type IdentityReconcilePatch,
  type IdentityReconcilePlan,
  identityReconcileTargets,
  planIdentityReconcile,
  type ReconcileDiagnostic,
  type ReconcileDiagnosticCode,
  type ReconcileTarget,
  type ReconcileTargets,
} from './identity-reconcile.js';

// Federated identity credentials MIC manages for type-3 identities (`--manage-federated-credentials`)
export {
  type DesiredIdentityCredentials,
  desiredFederatedCredentials,
  FEDERATED_CREDENTIAL_AUDIENCE,
  type FederatedCredential,
  federatedCredentialName,
  type FederatedCredentialPlanInput,
  type FederatedCredentialUse,
  type IdentityCredentialPlan,
  isPodidCredential,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  PODID_CREDENTIAL_PREFIX,
  planFederatedCredentials,
  serviceAccountSubject,
} from './federated-credential-plan.js';

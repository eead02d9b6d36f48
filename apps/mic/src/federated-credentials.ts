import type { AzureIdentity, Pod } from '@podid/crd-types';
import { GROUP_VERSION } from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';
import {
  type DesiredIdentityCredentials,
  desiredFederatedCredentials,
  type FederatedCredential,
  type FederatedCredentialUse,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  planFederatedCredentials,
} from '@podid/reconciler';
import { type InputProblem, ProblemReason } from './input-problems.js';

/** The ARM calls the manager makes (arm-assigner's SdkFederatedCredentialClient in production). */
export interface FederatedCredentialArm {
  list(identityResourceId: string): Promise<FederatedCredential[]>;
  create(identityResourceId: string, credential: FederatedCredential): Promise<void>;
  delete(identityResourceId: string, name: string): Promise<void>;
}

export interface FederatedCredentialManagerOptions {
  readonly arm: FederatedCredentialArm;
  /** `--oidc-issuer-url`. */
  readonly issuerUrl: string;
  /** Tells an overflow (Warning Event on the AzureIdentity + log line): MIC's ProblemReporter. */
  readonly problems: { report(problems: readonly InputProblem[]): number };
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;
  /** First wait before a failed run is tried again without any cycle asking; doubles up to 5 min. Default 5 s. */
  readonly retryInitialMs?: number;
}

/** What a cycle hands over: the matcher's assignments, the pods they are for, and every AzureIdentity. */
export interface FederatedCredentialInput {
  readonly assignments: readonly DesiredAssignment[];
  readonly pods: readonly Pod[];
  readonly identities: readonly AzureIdentity[];
}

/**
 * `--manage-federated-credentials`: keeps the federated credentials of type-3 identities in step with the pods that
 * use them. Each cycle hands in its input; ARM is read and written only when the desired set differs from the last
 * one applied in full (so an identity at Azure's limit of 20 is told once per change, not retried every cycle), or
 * after a failed run. Runs beside the cycle, never inside it: assignments never wait on federated-credential calls.
 * One run at a time; input arriving during a run is applied after it (latest wins).
 */
export class FederatedCredentialManager {
  readonly #options: FederatedCredentialManagerOptions;
  #appliedKey: string | undefined;
  #running: Promise<void> | undefined;
  #next: Map<string, DesiredIdentityCredentials> | undefined;
  #stopped = false;
  #lastDesired: Map<string, DesiredIdentityCredentials> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;

  constructor(options: FederatedCredentialManagerOptions) {
    this.#options = options;
    this.#retryDelayMs = options.retryInitialMs ?? 5000;
  }

  sync(input: FederatedCredentialInput): void {
    if (this.#stopped) return;
    const desired = desiredFederatedCredentials(input.identities, usesOf(input), this.#options.issuerUrl);
    if (this.#running === undefined && keyOf(desired) === this.#appliedKey) return;
    this.#next = desired;
    this.#start();
  }

  #start(): void {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#next = undefined;
    clearTimeout(this.#retryTimer);
    await this.idle();
  }

  async #drain(): Promise<void> {
    while (this.#next !== undefined && !this.#stopped) {
      const desired = this.#next;
      this.#next = undefined;
      const key = keyOf(desired);
      if (key === this.#appliedKey) continue;
      this.#lastDesired = desired;
      const ok = await this.#apply(desired);
      // A failed run leaves the key unset: the next cycle, or the retry timer, tries again.
      this.#appliedKey = ok ? key : undefined;
      if (ok) this.#retryDelayMs = this.#options.retryInitialMs ?? 5000;
      else this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.#stopped || this.#retryTimer !== undefined) return;
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(delay * 2, 300_000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#stopped || this.#appliedKey !== undefined) return;
      this.#next ??= this.#lastDesired;
      this.#start();
    }, delay);
    this.#retryTimer.unref();
  }

  async #apply(desired: Map<string, DesiredIdentityCredentials>): Promise<boolean> {
    const { arm, log } = this.#options;
    const existing = new Map<string, FederatedCredential[]>();
    let ok = true;
    await Promise.all(
      [...desired].map(async ([key, entry]) => {
        try {
          existing.set(key, await arm.list(entry.resourceId));
        } catch (error) {
          // A malformed resourceID or an identity Azure does not have will not heal by retrying: told once per
          // desired set (like an overflow); anything else (throttling, 5xx, credentials) is retried.
          const permanent = PERMANENT_LIST_ERRORS.has(String((error as { code?: unknown }).code));
          if (!permanent) ok = false;
          log(permanent ? 'warn' : 'error', 'cannot list federated credentials', {
            identity: entry.resourceId,
            ...errorFields(error),
          });
        }
      }),
    );
    const plans = planFederatedCredentials({ desired, existing, issuerUrl: this.#options.issuerUrl });
    const problems: InputProblem[] = [];
    await Promise.all(
      plans.map(async (plan) => {
        // One identity's writes in sequence (Azure refuses concurrent ones); deletes first, they make room.
        for (const credential of plan.deletes) {
          try {
            await arm.delete(plan.resourceId, credential.name);
            log('info', 'federated credential deleted', {
              identity: plan.resourceId,
              credential: credential.name,
              subject: credential.subject,
            });
          } catch (error) {
            ok = false;
            log('error', 'cannot delete federated credential', {
              identity: plan.resourceId,
              credential: credential.name,
              ...errorFields(error),
            });
          }
        }
        for (const credential of plan.creates) {
          try {
            await arm.create(plan.resourceId, credential);
            log('info', 'federated credential created', {
              identity: plan.resourceId,
              credential: credential.name,
              subject: credential.subject,
            });
          } catch (error) {
            ok = false;
            log('error', 'cannot create federated credential', {
              identity: plan.resourceId,
              credential: credential.name,
              subject: credential.subject,
              ...errorFields(error),
            });
          }
        }
        const owner = plan.identities[0];
        if (plan.overflow.length > 0 && owner !== undefined) {
          problems.push({
            subject: { apiVersion: GROUP_VERSION, kind: 'AzureIdentity', namespace: owner.namespace, name: owner.name },
            reason: ProblemReason.FederatedCredentialLimit,
            code: 'federated_credential_limit',
            message: `user-assigned identity ${plan.resourceId} has the maximum of ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} federated credentials; no credential for ${plan.overflow.map((c) => c.subject).join(', ')}`,
          });
        }
      }),
    );
    this.#options.problems.report(problems);
    return ok;
  }
}

const PERMANENT_LIST_ERRORS = new Set(['invalid_resource_id', 'identity_not_found']);

/** One use per assignment of a type-3 identity: the pod's namespace and service account (`default` if unset). */
function usesOf(input: FederatedCredentialInput): FederatedCredentialUse[] {
  const serviceAccounts = new Map<string, string>();
  for (const pod of input.pods) {
    const name = (pod.spec as { serviceAccountName?: unknown } | undefined)?.serviceAccountName;
    serviceAccounts.set(
      `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`,
      typeof name === 'string' && name !== '' ? name : 'default',
    );
  }
  return input.assignments.map((assignment) => ({
    identity: assignment.identity,
    podNamespace: assignment.podNamespace,
    serviceAccountName: serviceAccounts.get(`${assignment.podNamespace}/${assignment.podName}`) ?? 'default',
  }));
}

function keyOf(desired: Map<string, DesiredIdentityCredentials>): string {
  return JSON.stringify([...desired].map(([key, entry]) => [key, entry.credentials.map((c) => c.subject)]));
}

function errorFields(error: unknown): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

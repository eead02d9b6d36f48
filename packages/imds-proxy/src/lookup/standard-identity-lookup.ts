import type { AzureAssignedIdentity, AzureIdentity, Pod } from '@podid/crd-types';
import { AssignedIdentityState, POD_LABEL_KEY, redactClientId } from '@podid/crd-types';
import { identityMatchesRequest, identityUsableFromNamespace } from '@podid/matcher';
import { NmiError, describeError } from '../errors.js';
import { type IdentityRequest, chooseIdentity } from './identity-request.js';
import { type Clock, type StandardIdentitySource, isImmediate } from './lookups.js';

export interface StandardLookupOptions {
  readonly source: StandardIdentitySource;
  readonly clock: Clock;
  readonly retryAttemptsForCreated: number;
  readonly retryAttemptsForAssigned: number;
  readonly retryIntervalMs: number;
  readonly forceNamespaced: boolean;
}

/** The request being served: its signal is read only when the loop has to wait. */
export interface Abortable {
  readonly signal: AbortSignal;
}

interface ByState {
  legacy: AzureIdentity[];
  assigned: AzureIdentity[];
  created: AzureIdentity[];
}

/** Identities MIC has finished with (legacy entries without a state win, as upstream), or undefined. */
function readyIdentities(groups: ByState): AzureIdentity[] | undefined {
  if (groups.legacy.length > 0) return groups.legacy;
  if (groups.assigned.length > 0) return groups.assigned;
  return undefined;
}

function groupByState(entries: readonly AzureAssignedIdentity[], request: IdentityRequest): ByState {
  const groups: ByState = { legacy: [], assigned: [], created: [] };
  const filtered = Boolean(request.clientId || request.resourceId);
  for (const entry of entries) {
    const identity = entry.spec.azureIdentityRef;
    if (!identity) continue;
    if (filtered && !identityMatchesRequest(identity, request)) continue;
    const state = entry.status?.status ?? '';
    if (state === '') groups.legacy.push(identity);
    else if (state === AssignedIdentityState.Assigned) groups.assigned.push(identity);
    else if (state === AssignedIdentityState.Created) groups.created.push(identity);
  }
  return groups;
}

function notAssignedError(
  namespace: string,
  podName: string,
  state: 'CREATED' | 'ASSIGNED',
  attempts: number,
  options: StandardLookupOptions,
  lastError: unknown,
  request?: IdentityRequest,
): NmiError {
  const seconds = options.retryIntervalMs / 1000;
  const errorText = lastError === undefined ? '<nil>' : describeError(lastError);
  // Upstream names the requested client ID (redacted; empty when only msi_res_id was given) in the CREATED-state
  // failure of a request that selected an identity, and only there (§3.7).
  const selected = request !== undefined && Boolean(request.clientId || request.resourceId);
  const prefix = selected ? `clientID in request: ${redactClientId(request.clientId)}, ` : '';
  return new NmiError(
    'identity-not-assigned',
    `${prefix}getting assigned identities for pod ${namespace}/${podName} in ${state} state failed after ${attempts} attempts, ` +
      `retry duration [${seconds}]s, error: ${errorText}. Check MIC pod logs for identity assignment errors`,
  );
}

/**
 * Waits for one retry interval, or less when the source reports a change of the pod's assigned identities.
 * Returns true when woken by a change (the caller re-checks without spending an attempt).
 */
async function waitForIntervalOrChange(
  namespace: string,
  podName: string,
  remainingMs: number,
  options: StandardLookupOptions,
  abortable: Abortable,
): Promise<boolean> {
  const changed = options.source.assignedIdentitiesChanged;
  if (changed === undefined) {
    await options.clock.sleep(remainingMs, abortable.signal);
    return false;
  }
  // Both waits share one controller, so whichever finishes first cancels the other (no timer or listener leaks).
  const race = new AbortController();
  const onRequestAbort = () => race.abort(abortable.signal.reason);
  abortable.signal.addEventListener('abort', onRequestAbort, { once: true });
  try {
    return await Promise.race([
      options.clock.sleep(remainingMs, race.signal).then(() => false),
      changed.call(options.source, namespace, podName, race.signal).then(() => true),
    ]);
  } finally {
    abortable.signal.removeEventListener('abort', onRequestAbort);
    if (!race.signal.aborted) race.abort(new Error('wait finished'));
  }
}

/**
 * §3.7. Waits (bounded by the retry flags) for MIC to move the pod's identities to Assigned, then applies the
 * namespaced filter and picks one. Aborts as soon as the client goes away. The attempts and their interval bound
 * the wait as upstream's do; a change reported by the source only makes the answer come sooner.
 */
async function findAssignedIdentities(
  namespace: string,
  podName: string,
  request: IdentityRequest,
  options: StandardLookupOptions,
  abortable: Abortable,
): Promise<AzureIdentity[]> {
  const maxAttempts = options.retryAttemptsForCreated + options.retryAttemptsForAssigned;
  let lastError: unknown;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    let groups: ByState = { legacy: [], assigned: [], created: [] };
    try {
      groups = groupByState(await options.source.assignedIdentitiesForPod(namespace, podName), request);
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const ready = readyIdentities(groups);
    if (ready) return ready;
    if (groups.created.length === 0 && attempt >= options.retryAttemptsForCreated) {
      throw notAssignedError(
        namespace,
        podName,
        'CREATED',
        options.retryAttemptsForCreated,
        options,
        lastError,
        request,
      );
    }
    const intervalEnds = options.clock.now() + options.retryIntervalMs;
    for (;;) {
      const remaining = intervalEnds - options.clock.now();
      if (remaining <= 0) break;
      if (!(await waitForIntervalOrChange(namespace, podName, remaining, options, abortable))) break;
      try {
        const early = readyIdentities(
          groupByState(await options.source.assignedIdentitiesForPod(namespace, podName), request),
        );
        if (early) return early;
      } catch {
        // The regular check at the next attempt reports errors.
      }
    }
  }
  throw notAssignedError(namespace, podName, 'ASSIGNED', maxAttempts, options, lastError);
}

function chooseUsable(
  assigned: readonly AzureIdentity[],
  namespace: string,
  request: IdentityRequest,
  options: StandardLookupOptions,
): AzureIdentity {
  const usable = assigned.filter((identity) =>
    identityUsableFromNamespace(identity, namespace, { namespaced: options.forceNamespaced }),
  );
  return chooseIdentity(usable, request);
}

/**
 * Why MIC can never assign `pod` an identity as things stand, or undefined when it might (issue 15 item 4): without
 * the label, or with a label no binding selects, upstream still waited the whole retry budget (80 s by default) on
 * every request, and the SDKs retried that for minutes. Only asked while the pod has no AzureAssignedIdentity at all.
 */
async function assignmentImpossibleReason(pod: Pod, options: StandardLookupOptions): Promise<string | undefined> {
  const label = pod.metadata.labels?.[POD_LABEL_KEY];
  if (!label) return `the pod has no ${POD_LABEL_KEY} label, so no AzureIdentityBinding can select it`;
  if (!options.source.bindingsWithSelector) return undefined;
  const bindings = await options.source.bindingsWithSelector(label);
  const applicable = options.forceNamespaced
    ? bindings.filter((binding) => binding.metadata.namespace === pod.metadata.namespace)
    : bindings;
  if (applicable.length > 0) return undefined;
  const where = options.forceNamespaced ? ` in namespace ${pod.metadata.namespace}` : '';
  return `no AzureIdentityBinding${where} has selector ${JSON.stringify(label)} (the pod's ${POD_LABEL_KEY} label)`;
}

async function hasNoAssignedIdentities(namespace: string, podName: string, options: StandardLookupOptions) {
  try {
    return (await options.source.assignedIdentitiesForPod(namespace, podName)).length === 0;
  } catch {
    return false; // the regular loop reports lookup errors
  }
}

export async function lookupStandardIdentity(
  namespace: string,
  podName: string,
  request: IdentityRequest,
  options: StandardLookupOptions,
  abortable: Abortable,
  pod?: Pod,
): Promise<AzureIdentity> {
  await refuseIfAssignmentImpossible(namespace, podName, options, pod);
  const assigned = await findAssignedIdentities(namespace, podName, request, options, abortable);
  return chooseUsable(assigned, namespace, request, options);
}

/** Throws the final 404 at once when `assignmentImpossibleReason` says no identity can come. */
async function refuseIfAssignmentImpossible(
  namespace: string,
  podName: string,
  options: StandardLookupOptions,
  pod: Pod | undefined,
): Promise<void> {
  if (!pod || !(await hasNoAssignedIdentities(namespace, podName, options))) return;
  const reason = await assignmentImpossibleReason(pod, options);
  if (reason) {
    throw new NmiError(
      'identity-not-found',
      `getting assigned identities for pod ${namespace}/${podName} failed: ${reason}. No identity will be assigned until that changes`,
    );
  }
}

/**
 * Every identity the pod may use that matches the request's client_id / msi_res_id (all of them when neither was
 * given), after the same wait as `lookupStandardIdentity`: for selectors the identity objects do not carry (the
 * object ID), which the caller then checks against each candidate's tokens. Nothing usable is upstream's 404 text.
 */
export async function lookupStandardCandidates(
  namespace: string,
  podName: string,
  request: IdentityRequest,
  options: StandardLookupOptions,
  abortable: Abortable,
  pod?: Pod,
): Promise<AzureIdentity[]> {
  await refuseIfAssignmentImpossible(namespace, podName, options, pod);
  const assigned = await findAssignedIdentities(namespace, podName, request, options, abortable);
  const usable = assigned.filter((identity) =>
    identityUsableFromNamespace(identity, namespace, { namespaced: options.forceNamespaced }),
  );
  // chooseIdentity throws upstream's "no azure identity found" when nothing qualifies.
  chooseIdentity(usable, request);
  return request.clientId || request.resourceId
    ? usable.filter((identity) => identityMatchesRequest(identity, request))
    : usable;
}

/**
 * The answer `lookupStandardIdentity` would give at once, computed synchronously: only when the source answers
 * from memory and MIC has already assigned a usable identity. Undefined in every other case (a promise, nothing
 * assigned yet, nothing usable, a lookup error), and the full lookup then waits, retries or reports the error.
 */
export function standardIdentityIfReady(
  namespace: string,
  podName: string,
  request: IdentityRequest,
  options: StandardLookupOptions,
): AzureIdentity | undefined {
  // With no attempts at all the full lookup refuses every request; so must this.
  if (options.retryAttemptsForCreated + options.retryAttemptsForAssigned <= 0) return undefined;
  try {
    const entries = options.source.assignedIdentitiesForPod(namespace, podName);
    if (!isImmediate(entries)) return undefined;
    const ready = readyIdentities(groupByState(entries, request));
    return ready && chooseUsable(ready, namespace, request, options);
  } catch {
    return undefined;
  }
}

import type { AssignmentOutcome, TargetPlan } from './plan-types.js';

/**
 * After a failed ARM step (PATCH error, refused PATCH, or a retry that may have half-worked) the executor reads the
 * target's identity list again and asks what actually happened to each object (§2.9 step 5):
 * - a pending assignment whose identity is on the target (compared case-insensitively), or that needs no ARM
 *   identity (service principal) → `mark-assigned`; otherwise → `leave-created` (retried next cycle);
 * - a release whose removal was requested and whose identity is still there → `retry-release` (object kept);
 *   otherwise → `release` without the `Unassigned` status patch.
 * If even the re-read fails, the executor applies nothing: every object stays as it is and the next cycle retries.
 */
export function classifyAfterFailure(
  plan: Pick<TargetPlan, 'pending' | 'releases'>,
  actualIdentityIds: readonly string[],
): AssignmentOutcome[] {
  const actual = new Set(actualIdentityIds.map((id) => id.toLowerCase()));
  const outcomes: AssignmentOutcome[] = [];
  for (const { object, resourceId } of plan.pending) {
    const onTarget = resourceId === undefined || actual.has(resourceId);
    outcomes.push(onTarget ? { action: 'mark-assigned', object } : { action: 'leave-created', object });
  }
  for (const { object, removesResourceId } of plan.releases) {
    const stillThere = removesResourceId !== undefined && actual.has(removesResourceId);
    outcomes.push(
      stillThere ? { action: 'retry-release', object } : { action: 'release', object, markUnassigned: false },
    );
  }
  return outcomes;
}

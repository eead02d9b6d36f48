/**
 * Error-driven retry (§2.10): when ARM refuses a PATCH because of particular identities, it names them in the
 * error message; those identities are dropped from the delta and the rest is sent again.
 */

/** Why an identity was left out of the PATCHes that were sent. */
export type DropReason =
  /** MIC's principal may not assign this identity (missing `Managed Identity Operator` on it). */
  | 'LinkedAuthorizationFailed'
  /** ARM could not operate on the identity, typically because it does not exist. */
  | 'FailedIdentityOperation'
  /** The ID is not a user-assigned identity resource ID (§2.13); it was never sent. */
  | 'InvalidResourceId';

export const DROPPABLE_ARM_ERROR_CODES = ['LinkedAuthorizationFailed', 'FailedIdentityOperation'] as const;

/**
 * A single-quoted, comma-separated list of user-assigned identity IDs, as ARM writes them in these messages.
 * Same shape as upstream's expression (case-insensitive, `[A-Za-z0-9_-]` name characters); the dot of
 * `Microsoft.ManagedIdentity` is escaped here because the text is only ever ARM's.
 */
const QUOTED_IDENTITY_LIST =
  /'((?:,?\/subscriptions\/[A-Za-z0-9_-]+\/resourcegroups\/[A-Za-z0-9_-]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[A-Za-z0-9_-]+)+)'/gi;

export interface IdentitiesNamedInError {
  readonly reason: (typeof DROPPABLE_ARM_ERROR_CODES)[number];
  /** IDs as written in the message (case preserved). */
  readonly ids: readonly string[];
}

/**
 * Finds the identities an ARM error blames. Like upstream, the error qualifies when its text (or ARM error code)
 * contains `LinkedAuthorizationFailed` or `FailedIdentityOperation`. Unlike upstream, which reads only the first
 * quoted list, every quoted list in the message is read, so an error naming identities in two places loses none.
 * Returns undefined when the error is not of that kind or names no identity.
 */
export function identitiesNamedInError(
  armErrorCode: string | undefined,
  message: string,
): IdentitiesNamedInError | undefined {
  const haystack = `${armErrorCode ?? ''} ${message}`;
  const reason = DROPPABLE_ARM_ERROR_CODES.find((code) => haystack.includes(code));
  if (reason === undefined) return undefined;
  const ids: string[] = [];
  for (const match of message.matchAll(QUOTED_IDENTITY_LIST)) {
    for (const id of match[1]!.split(',')) {
      if (id !== '') ids.push(id);
    }
  }
  return ids.length === 0 ? undefined : { reason, ids };
}

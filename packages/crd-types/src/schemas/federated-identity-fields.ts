import type { z } from 'zod';

/** `spec.type` of a federated identity (podid's extension; upstream knows 0–2). Kept here to avoid an import cycle. */
const FEDERATED_IDENTITY_TYPE = 3;

/**
 * A federated identity (type 3) is exchanged at AAD by client ID in a tenant, so both are required; `resourceID`
 * (the user-assigned identity whose federated credentials MIC may manage) stays optional. Other types are left to
 * their consumers, as upstream does.
 */
export function requireFederatedIdentityFields(
  spec: { type?: number | undefined; clientID?: string | undefined; tenantID?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (spec.type !== FEDERATED_IDENTITY_TYPE) return;
  for (const field of ['clientID', 'tenantID'] as const) {
    const value = spec[field];
    if (typeof value !== 'string' || value.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `a federated identity (type 3) needs spec.${field}`,
      });
    }
  }
}

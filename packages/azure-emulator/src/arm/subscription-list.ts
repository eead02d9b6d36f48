import type { AccessTokenClaims } from '../aad/token-signer.js';
import type { EmulatorContext } from '../emulator-context.js';

/**
 * `GET /subscriptions`: the subscriptions the caller can see, as Microsoft.Resources/subscriptions lists them. `az
 * login` (and `az login --identity`) lists them right after getting its token and fails without this. The emulator
 * has no role assignments, so a caller sees every subscription of the tenant its token was issued in.
 */
export function listSubscriptions(ctx: EmulatorContext, caller: AccessTokenClaims) {
  const tenant = String(caller.tid).toLowerCase();
  const value = [...ctx.state.subscriptions.values()]
    .filter((subscription) => subscription.tenantId.toLowerCase() === tenant)
    .map((subscription) => ({
      id: `/subscriptions/${subscription.subscriptionId}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionId: subscription.subscriptionId,
      tenantId: subscription.tenantId,
      displayName: `emulated-${subscription.subscriptionId.slice(0, 8)}`,
      state: 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    }));
  return { status: 200, body: { value, count: { type: 'Total', value: value.length } } };
}

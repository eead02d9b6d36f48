/**
 * Changes to a VM's/VMSS's identities made from outside podid, over the emulated ARM's HTTPS API as an operator's
 * `az vmss identity remove` would: used to check that MIC's reconciler puts identities back.
 */
import { request } from 'node:https';
import type { AzureEmulator } from '@podid/azure-emulator';
import type { AzureWorld } from './azure-world.js';

const API_VERSION = '2022-11-01';

export async function removeIdentityFromCompute(
  azure: AzureEmulator,
  world: AzureWorld,
  computeId: string,
  identityResourceId: string,
): Promise<void> {
  const before = azure.admin.identityState(computeId);
  const token = azure.admin.issueAccessToken({ tenantId: world.tenantId, clientId: world.micPrincipal.clientId });
  const body = JSON.stringify({
    identity: { type: before.type, userAssignedIdentities: { [identityResourceId]: null } },
  });
  const url = new URL(`${computeId}?api-version=${API_VERSION}`, azure.armUrl);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PATCH',
        ca: azure.caCertPem,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (status >= 300) {
    throw Object.assign(new Error(`ARM answered ${status} to removing ${identityResourceId} from ${computeId}`), {
      code: 'external_removal_failed',
    });
  }
  // The PATCH is a long-running operation; wait until ARM's state shows the identity gone.
  const wanted = identityResourceId.toLowerCase();
  const deadline = Date.now() + 30_000;
  while (azure.admin.identityState(computeId).userAssignedIdentities.some((id) => id.toLowerCase() === wanted)) {
    if (Date.now() > deadline) {
      throw Object.assign(new Error(`${identityResourceId} still on ${computeId} 30 s after the PATCH`), {
        code: 'external_removal_failed',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The demo `npm start` runs once the sandbox is up: an AzureIdentity, a binding and a labelled pod; then what a
 * workload sees — how long until the identity is Assigned, and a token fetched from the pod's address — told as a
 * short story with timings and the token's (decoded, never printed) claims.
 */
import type { Sandbox } from './sandbox.js';
import { decodeJwtClaims } from './workload-request.js';

export interface DemoResult {
  podIP: string;
  nodeName: string;
  assignedAfterMs: number;
  tokenAfterMs: number;
  status: number;
  claims: Record<string, unknown> | undefined;
}

export const DEMO_RESOURCE = 'https://vault.azure.net';

export async function runDemo(sandbox: Sandbox, say: (line: string) => void): Promise<DemoResult> {
  const identity = sandbox.azure.world.identities[0];
  if (!identity) throw Object.assign(new Error('the sandbox has no user-assigned identity'), { code: 'no_identity' });
  await sandbox.createIdentity({ kind: 'user-assigned', name: 'demo-identity', identity });
  await sandbox.createBinding({ name: 'demo-binding', identityName: 'demo-identity', selector: 'demo' });
  say(`AzureIdentity demo-identity (${identity.name}) and AzureIdentityBinding demo-binding (selector "demo") created`);

  const t0 = Date.now();
  const pod = await sandbox.createPod({ name: 'demo', labels: { aadpodidbinding: 'demo' } });
  say(`pod default/demo created; scheduled to ${pod.nodeName} with IP ${pod.podIP} (+${Date.now() - t0} ms)`);
  const [assigned] = await sandbox.waitForAssigned(pod, { timeoutMs: 120_000 });
  const assignedAfterMs = Date.now() - t0;
  say(`AzureAssignedIdentity ${assigned?.metadata?.name} is Assigned (+${assignedAfterMs} ms)`);

  const response = await sandbox.fetchToken(pod, DEMO_RESOURCE);
  const tokenAfterMs = Date.now() - t0;
  let claims: Record<string, unknown> | undefined;
  const body = response.json as { access_token?: string; client_id?: string; expires_in?: string } | undefined;
  if (response.status === 200 && body?.access_token) {
    claims = decodeJwtClaims(body.access_token);
    say(
      `token for ${DEMO_RESOURCE} fetched from ${pod.podIP} (+${tokenAfterMs} ms, HTTP 200, expires_in ${body.expires_in})`,
    );
    for (const key of ['aud', 'iss', 'appid', 'oid', 'tid', 'xms_mirid']) {
      if (claims[key] !== undefined) say(`  ${key.padEnd(9)} ${String(claims[key])}`);
    }
  } else {
    say(`token request from ${pod.podIP} answered HTTP ${response.status}: ${response.body.slice(0, 200)}`);
  }
  return { podIP: pod.podIP, nodeName: pod.nodeName, assignedAfterMs, tokenAfterMs, status: response.status, claims };
}

/**
 * The demo `npm start` runs once the sandbox is up, two workloads side by side: a pod bound to a user-assigned
 * identity (type 0, which MIC must first add to the node's VM/VMSS through ARM) and a pod bound to a federated
 * identity (type 3, whose token NMI gets by exchanging the pod's service-account token at AAD: nothing goes to ARM).
 * For each: how long until its identity is Assigned and a token fetched from the pod's address, told as a short story
 * with timings and the token's (decoded, never printed) claims. With `--arm-latency 40s` the difference shows.
 */
import { setUpFederatedDemo } from './federated-demo.js';
import type { PodSpecInput } from './cluster-objects.js';
import type { Sandbox } from './sandbox.js';
import { decodeJwtClaims } from './workload-request.js';

export interface WorkloadDemoResult {
  podIP: string;
  nodeName: string;
  assignedAfterMs: number;
  tokenAfterMs: number;
  status: number;
  claims: Record<string, unknown> | undefined;
}

/** The type-0 workload's result, plus the federated one's. `status` is 200 only when both got a token. */
export interface DemoResult extends WorkloadDemoResult {
  federated: WorkloadDemoResult;
}

export const DEMO_RESOURCE = 'https://vault.azure.net';

export async function runDemo(sandbox: Sandbox, say: (line: string) => void): Promise<DemoResult> {
  const identity = sandbox.azure.world.identities[0];
  if (!identity) throw Object.assign(new Error('the sandbox has no user-assigned identity'), { code: 'no_identity' });
  await sandbox.createIdentity({ kind: 'user-assigned', name: 'demo-identity', identity });
  await sandbox.createBinding({ name: 'demo-binding', identityName: 'demo-identity', selector: 'demo' });
  say(`AzureIdentity demo-identity (${identity.name}) and AzureIdentityBinding demo-binding (selector "demo") created`);
  const federated = await setUpFederatedDemo(sandbox);
  say(
    `AzureIdentity ${federated.identityName} (type 3, federated app ${federated.clientId}) and its binding (selector "${federated.selector}") created; service account default/${federated.serviceAccountName} is trusted by the app's federated credential`,
  );

  const t0 = Date.now();
  const [userAssigned, viaFederation] = await Promise.all([
    runWorkload(sandbox, t0, '[type 0] ', { name: 'demo', labels: { aadpodidbinding: 'demo' } }, say),
    runWorkload(
      sandbox,
      t0,
      '[type 3] ',
      {
        name: 'demo-federated',
        labels: { aadpodidbinding: federated.selector },
        serviceAccountName: federated.serviceAccountName,
      },
      say,
    ),
  ]);
  const status = userAssigned.status !== 200 ? userAssigned.status : viaFederation.status;
  return { ...userAssigned, status, federated: viaFederation };
}

async function runWorkload(
  sandbox: Sandbox,
  t0: number,
  prefix: string,
  input: PodSpecInput,
  say: (line: string) => void,
): Promise<WorkloadDemoResult> {
  const pod = await sandbox.createPod(input);
  say(
    `${prefix}pod default/${pod.name} created; scheduled to ${pod.nodeName} with IP ${pod.podIP} (+${Date.now() - t0} ms)`,
  );
  const [assigned] = await sandbox.waitForAssigned(pod, { timeoutMs: 120_000 });
  const assignedAfterMs = Date.now() - t0;
  say(`${prefix}AzureAssignedIdentity ${assigned?.metadata?.name} is Assigned (+${assignedAfterMs} ms)`);

  const response = await sandbox.fetchToken(pod, DEMO_RESOURCE);
  const tokenAfterMs = Date.now() - t0;
  let claims: Record<string, unknown> | undefined;
  const body = response.json as { access_token?: string; client_id?: string; expires_in?: string } | undefined;
  if (response.status === 200 && body?.access_token) {
    claims = decodeJwtClaims(body.access_token);
    say(
      `${prefix}token for ${DEMO_RESOURCE} fetched from ${pod.podIP} (+${tokenAfterMs} ms, HTTP 200, expires_in ${body.expires_in})`,
    );
    for (const key of ['aud', 'iss', 'appid', 'oid', 'tid', 'xms_mirid']) {
      if (claims[key] !== undefined) say(`${prefix}  ${key.padEnd(9)} ${String(claims[key])}`);
    }
  } else {
    say(`${prefix}token request from ${pod.podIP} answered HTTP ${response.status}: ${response.body.slice(0, 200)}`);
  }
  return { podIP: pod.podIP, nodeName: pod.nodeName, assignedAfterMs, tokenAfterMs, status: response.status, claims };
}

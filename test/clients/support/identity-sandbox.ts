/**
 * The sandbox the managed-identity client suites share: `--netns` mode (every pod its own network namespace, NMI's
 * real iptables redirect of 169.254.169.254 in the node namespace), one VM node and two identities:
 *
 * - pod `two` is bound to identities A and B (two bindings on the same selector), so a selector decides which token
 *   it gets and a wrong answer shows;
 * - pod `only-a` is bound to A alone, so asking for B is asking for an identity the pod does not have.
 */
import type { SandboxIdentity } from '../../../apps/sandbox/src/index.js';
import { type Sandbox, type SandboxPod, startE2eSandbox } from '../../e2e/support/e2e-sandbox.js';

export interface IdentitySandbox {
  sandbox: Sandbox;
  identityA: SandboxIdentity;
  identityB: SandboxIdentity;
  podTwo: SandboxPod;
  podOnlyA: SandboxPod;
}

export async function startIdentitySandbox(): Promise<IdentitySandbox> {
  const sandbox = await startE2eSandbox({ netns: true, world: { scaleSets: 0, virtualMachines: 1, identities: 2 } });
  try {
    const [identityA, identityB] = sandbox.azure.world.identities as [SandboxIdentity, SandboxIdentity];
    await sandbox.createIdentity({ kind: 'user-assigned', name: 'id-a', identity: identityA });
    await sandbox.createIdentity({ kind: 'user-assigned', name: 'id-b', identity: identityB });
    await sandbox.createBinding({ name: 'a-for-two', identityName: 'id-a', selector: 'two' });
    await sandbox.createBinding({ name: 'b-for-two', identityName: 'id-b', selector: 'two' });
    await sandbox.createBinding({ name: 'a-only', identityName: 'id-a', selector: 'only-a' });
    const podTwo = await sandbox.createPod({ name: 'two', labels: { aadpodidbinding: 'two' } });
    const podOnlyA = await sandbox.createPod({ name: 'only-a', labels: { aadpodidbinding: 'only-a' } });
    await sandbox.waitForAssigned(podTwo, { count: 2 });
    await sandbox.waitForAssigned(podOnlyA);
    return { sandbox, identityA, identityB, podTwo, podOnlyA };
  } catch (error) {
    await sandbox.close();
    throw error;
  }
}

/**
 * A workload's environment with no endpoint override and no Azure settings, so the libraries fall back to
 * 169.254.169.254 as they do on a node.
 */
export function workloadEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AZURE_|IDENTITY_|MSI_|IMDS_|REQUESTS_CA_BUNDLE$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

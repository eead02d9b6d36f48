/**
 * The netns variant of the token scenarios, on the sandbox's `netns` mode: every node is a network namespace with
 * NMI inside (`--manage-iptables`, so NMI installs the real iptables redirect of 169.254.169.254 itself) and every pod
 * its own namespace joined to its node by a veth. Pods ask 169.254.169.254 — the address every Azure SDK uses —
 * with plain HTTP, @azure/msal-node's ManagedIdentityApplication and @azure/identity's ManagedIdentityCredential, run
 * inside the pod namespace with no endpoint override. Needs root, iproute2, iptables and curl (CI); otherwise one
 * skip line.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { describeIfNetns } from '@podid/netns-testkit';
import { spawn } from 'node:child_process';
import { claimsOf, RESOURCE, type Sandbox, type SandboxPod, startE2eSandbox } from './support/e2e-sandbox.js';

/** Runs in the pod namespace; prints one RESULT line with what the client library got. */
const MSAL_CLIENT = `
import { ManagedIdentityApplication } from '@azure/msal-node';
const app = new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: process.argv[1] } });
try {
  const result = await app.acquireToken({ resource: process.argv[2] });
  console.log('RESULT ' + JSON.stringify({ ok: true, token: result.accessToken }));
} catch (error) {
  console.log('RESULT ' + JSON.stringify({ ok: false, error: String(error) }));
}
`;

const AZURE_IDENTITY_CLIENT = `
import { ManagedIdentityCredential } from '@azure/identity';
const credential = new ManagedIdentityCredential({ clientId: process.argv[1] });
try {
  const result = await credential.getToken(process.argv[2] + '/.default');
  console.log('RESULT ' + JSON.stringify({ ok: true, token: result.token }));
} catch (error) {
  console.log('RESULT ' + JSON.stringify({ ok: false, error: String(error) }));
}
`;

/** The environment of a workload with no endpoint override: the libraries fall back to 169.254.169.254. */
function workloadEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of [
    'AZURE_POD_IDENTITY_AUTHORITY_HOST',
    'IDENTITY_ENDPOINT',
    'IDENTITY_HEADER',
    'MSI_ENDPOINT',
    'MSI_SECRET',
    'IMDS_ENDPOINT',
  ]) {
    delete env[key];
  }
  return env;
}

function runInNamespace(
  ns: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // cwd is the repository root (jest's), so the bare imports resolve from its node_modules.
    const child = spawn('ip', ['netns', 'exec', ns, ...args], {
      env: workloadEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describeIfNetns(
  'e2e in network namespaces: pods reach NMI through the real iptables redirect of 169.254.169.254',
  () => {
    let sandbox: Sandbox;
    let pod: SandboxPod;

    async function runClient(code: string): Promise<Record<string, unknown>> {
      const clientId = sandbox.azure.world.identities[0]!.clientId;
      const result = await runInNamespace(pod.netns!, [
        process.execPath,
        '--input-type=module',
        '-e',
        code,
        clientId,
        RESOURCE,
      ]);
      const line = /^RESULT (.*)$/m.exec(result.stdout)?.[1];
      if (!line) throw new Error(`the client printed no result (exit ${result.code}): ${result.stderr.slice(0, 500)}`);
      const outcome = JSON.parse(line) as { ok: boolean; token?: string; error?: string };
      if (!outcome.ok || !outcome.token) throw new Error(`the client failed: ${outcome.error}`);
      return JSON.parse(Buffer.from(outcome.token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
    }

    beforeAll(async () => {
      sandbox = await startE2eSandbox({ netns: true, world: { scaleSets: 0, virtualMachines: 1, identities: 1 } });
      const identity = sandbox.azure.world.identities[0]!;
      await sandbox.createIdentity({ kind: 'user-assigned', name: 'netns', identity });
      await sandbox.createBinding({ name: 'netns', identityName: 'netns', selector: 'netns' });
      pod = await sandbox.createPod({ name: 'netns-pod', labels: { aadpodidbinding: 'netns' } });
      await sandbox.waitForAssigned(pod);
    }, 120_000);

    afterAll(async () => {
      await sandbox?.close();
    });

    test('the pod lives in its own namespace with a non-loopback address; NMI owns the redirect in the node namespace', async () => {
      expect(pod.netns).toBeDefined();
      expect(pod.podIP).toMatch(/^10\./);
      const nodeNs = sandbox.nmis.get(pod.nodeName)?.namespace;
      expect(nodeNs).toBeDefined();
      const rules = await runInNamespace(nodeNs!, ['iptables', '-w', '-t', 'nat', '-S', 'aad-metadata']);
      expect(rules.stdout).toContain(
        '-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579',
      );
    });

    test('plain HTTP to 169.254.169.254 from the pod namespace gets the pod identity token', async () => {
      const claims = claimsOf(await sandbox.fetchToken(pod, RESOURCE));
      expect(claims['appid']).toBe(sandbox.azure.world.identities[0]!.clientId);
    });

    test('@azure/msal-node ManagedIdentityApplication gets the token through the redirect', async () => {
      const claims = await runClient(MSAL_CLIENT);
      expect(claims['appid']).toBe(sandbox.azure.world.identities[0]!.clientId);
    }, 60_000);

    test('@azure/identity ManagedIdentityCredential gets the token through the redirect', async () => {
      const claims = await runClient(AZURE_IDENTITY_CLIENT);
      expect(claims['appid']).toBe(sandbox.azure.world.identities[0]!.clientId);
    }, 60_000);

    test('a deleted pod takes its namespace with it', async () => {
      const extra = await sandbox.createPod({ name: 'netns-gone' });
      expect(extra.netns).toBeDefined();
      await sandbox.deletePod(extra);
      await sandbox.eventually(async () => {
        const listing = await runInNamespace(extra.netns!, ['true']);
        return listing.code !== 0;
      }, `namespace ${extra.netns} to be deleted`);
    });
  },
  { binaries: ['ip', 'iptables', 'curl'] },
);

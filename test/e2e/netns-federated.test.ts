/**
 * A federated identity (type 3) in the sandbox's `netns` mode: the pod lives in its own network namespace and asks
 * 169.254.169.254 through NMI's real iptables redirect, with curl, @azure/msal-node's ManagedIdentityApplication and
 * @azure/identity's ManagedIdentityCredential (no endpoint override). NMI, inside the node namespace, exchanges the
 * pod's service-account token at the emulated AAD; the identity is on no VM/VMSS. Needs root, iproute2, iptables and
 * curl (CI); otherwise one skip line.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { describeIfNetns } from '@podid/netns-testkit';
import { setUpFederatedDemo } from '../../apps/sandbox/src/index.js';
import { RESOURCE, type Sandbox, type SandboxPod, startE2eSandbox } from './support/e2e-sandbox.js';

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

function runInNamespace(ns: string, args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], {
      env: workloadEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.resume();
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

function claimsOfToken(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

describeIfNetns(
  'e2e in network namespaces: a federated identity (type 3) through the real iptables redirect',
  () => {
    let sandbox: Sandbox;
    let pod: SandboxPod;
    let clientId: string;

    async function runClient(code: string): Promise<Record<string, unknown>> {
      const result = await runInNamespace(pod.netns!, [
        process.execPath,
        '--input-type=module',
        '-e',
        code,
        clientId,
        RESOURCE,
      ]);
      const line = /^RESULT (.*)$/m.exec(result.stdout)?.[1];
      if (!line) throw new Error(`the client printed no result (exit ${result.code})`);
      const outcome = JSON.parse(line) as { ok: boolean; token?: string; error?: string };
      if (!outcome.ok || !outcome.token) throw new Error(`the client failed: ${outcome.error}`);
      return claimsOfToken(outcome.token);
    }

    beforeAll(async () => {
      sandbox = await startE2eSandbox({
        netns: true,
        world: { scaleSets: 1, nodesPerScaleSet: 1, virtualMachines: 0 },
      });
      const federated = await setUpFederatedDemo(sandbox);
      clientId = federated.clientId;
      sandbox.azure.emulator.admin.resetCounters();
      pod = await sandbox.createPod({
        name: 'federated-pod',
        labels: { aadpodidbinding: federated.selector },
        serviceAccountName: federated.serviceAccountName,
      });
      await sandbox.waitForAssigned(pod);
    }, 120_000);

    afterAll(async () => {
      await sandbox?.close();
    });

    test('curl from the pod namespace to 169.254.169.254 gets the federated app’s token', async () => {
      const result = await runInNamespace(pod.netns!, [
        'curl',
        '-sS',
        '-H',
        'Metadata: true',
        `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(RESOURCE)}`,
      ]);
      const body = JSON.parse(result.stdout) as { access_token: string; client_id: string };
      expect(body.client_id).toBe(clientId);
      expect(claimsOfToken(body.access_token)).toMatchObject({
        appid: clientId,
        xms_mirid: expect.stringMatching(/\/userAssignedIdentities\/federated-app$/),
      });
    });

    test('@azure/msal-node ManagedIdentityApplication gets it', async () => {
      expect((await runClient(MSAL_CLIENT))['appid']).toBe(clientId);
    }, 60_000);

    test('@azure/identity ManagedIdentityCredential gets it', async () => {
      expect((await runClient(AZURE_IDENTITY_CLIENT))['appid']).toBe(clientId);
    }, 60_000);

    test('the emulated ARM saw no VM/VMSS request for it', () => {
      const counts = sandbox.azure.emulator.admin.requestCounts();
      for (const kind of ['vm_update', 'vmss_update']) expect(counts[kind] ?? 0).toBe(0);
      expect(sandbox.azure.emulator.admin.patchLog()).toEqual([]);
    });
  },
  { binaries: ['ip', 'iptables', 'curl'] },
);

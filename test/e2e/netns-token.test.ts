/**
 * The netns variant of the token scenarios: a pod in its own network namespace asks 169.254.169.254 — the address
 * every Azure SDK uses — and real iptables rules in the node namespace, installed by NMI itself
 * (`--manage-iptables`), redirect it to NMI. Clients: plain HTTP, @azure/msal-node's ManagedIdentityApplication and
 * @azure/identity's ManagedIdentityCredential, run inside the pod namespace with no endpoint override.
 * Needs root and iproute2/iptables (CI); otherwise one skip line.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTopology, describeIfNetns, httpRequestFromNamespace, type Topology } from '@podid/netns-testkit';
import { EXTERNAL_NETWORK_ANNOTATION, ManagedProcess, NMI_SCRIPT } from '../../apps/sandbox/src/index.js';
import { writeFileSync } from 'node:fs';
import { type LoopbackRelay, relayIntoNamespace } from './support/namespace-bridge.js';
import { claimsOf, RESOURCE, requireBuiltApps, type Sandbox, startE2eSandbox } from './support/e2e-sandbox.js';

const NMI_PORT = 2579;
const PROBE_PORT = 8085;

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

describeIfNetns(
  'e2e in network namespaces: a pod reaches NMI through the real iptables redirect of 169.254.169.254',
  () => {
    let sandbox: Sandbox;
    let topology: Topology;
    let relays: LoopbackRelay[] = [];
    let nmi: ManagedProcess | undefined;
    let podNs: string;
    let nodeNs: string;

    function clientEnv(): NodeJS.ProcessEnv {
      const env = { ...process.env };
      // The point of this suite: no endpoint override, the libraries' default 169.254.169.254 is used.
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

    async function runClient(code: string): Promise<{ ok: boolean; token?: string; error?: string }> {
      const identity = sandbox.azure.world.identities[0]!;
      const child = await topology.spawnNode(podNs, {
        code,
        args: [identity.clientId, RESOURCE],
        env: clientEnv(),
        readyPattern: /^RESULT (.*)$/,
        readyTimeoutMs: 60_000,
      });
      await child.kill();
      return JSON.parse(child.ready?.[1] ?? '{}') as { ok: boolean; token?: string; error?: string };
    }

    beforeAll(async () => {
      requireBuiltApps();
      sandbox = await startE2eSandbox({ world: { scaleSets: 0, virtualMachines: 1, identities: 1 } });
      topology = await createTopology({ pods: 1, prefix: 'pe2e' });
      nodeNs = topology.node.ns;
      const pod = topology.pods[0]!;
      podNs = pod.ns;
      const node = sandbox.azure.world.nodes[0]!;

      const kubeRelay = await relayIntoNamespace(topology, nodeNs, new URL(sandbox.kube.url), sandbox.workDir);
      relays.push(kubeRelay);
      const imdsRelay = await relayIntoNamespace(topology, nodeNs, new URL(node.imdsUrl), sandbox.workDir);
      relays.push(imdsRelay);
      const kubeconfig = structuredClone(sandbox.kube.emulator.kubeconfig);
      kubeconfig.clusters[0]!.cluster.server = `http://127.0.0.1:${kubeRelay.port}`;
      const kubeconfigPath = join(sandbox.workDir, 'kubeconfig-node-namespace.json');
      writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });

      // The pod: on the VM node, with the namespace's veth address (the fake kubelet leaves it alone).
      const identity = sandbox.azure.world.identities[0]!;
      await sandbox.createIdentity({ kind: 'user-assigned', name: 'netns', identity });
      await sandbox.createBinding({ name: 'netns', identityName: 'netns', selector: 'netns' });
      await sandbox.kube.rest.create('pods', 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'netns-pod',
          namespace: 'default',
          labels: { aadpodidbinding: 'netns' },
          annotations: { [EXTERNAL_NETWORK_ANNOTATION]: 'true' },
        },
        spec: { nodeName: node.name, containers: [{ name: 'app', image: 'x' }] },
      });
      await sandbox.kube.rest.mergePatchStatus('pods', 'default', 'netns-pod', {
        status: { phase: 'Running', podIP: pod.ip, podIPs: [{ ip: pod.ip }] },
      });
      await sandbox.waitForAssigned({ name: 'netns-pod', namespace: 'default' });

      nmi = ManagedProcess.start({
        name: 'nmi in node namespace',
        script: NMI_SCRIPT,
        wrapper: ['ip', 'netns', 'exec', nodeNs],
        args: [
          `--node=${node.name}`,
          '--nmi-listen-address=127.0.0.1',
          `--nmi-port=${NMI_PORT}`,
          `--http-probe-port=${PROBE_PORT}`,
          '--prometheus-port=9095',
          '--manage-iptables=true',
          '--set-route-localnet=true',
          `--imds-endpoint=http://127.0.0.1:${imdsRelay.port}`,
          `--kubeconfig=${kubeconfigPath}`,
          `--kubelet-config=${join(sandbox.workDir, 'kubelet-defaults')}`,
          '--termination-wait=0s',
          '--find-identity-retry-interval=1',
        ],
        env: clientEnv(),
        logFile: join(sandbox.workDir, 'nmi-node-namespace.log'),
        probeUrl: `http://127.0.0.1:${PROBE_PORT}`,
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const probe = await httpRequestFromNamespace(nodeNs, { url: `http://127.0.0.1:${PROBE_PORT}/healthz` });
        if (probe.ok && probe.body.trim() === 'Active') break;
        if (!nmi.running || Date.now() > deadline) {
          throw new Error(`NMI in the node namespace did not become active:\n${nmi.recentOutput()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }, 90_000);

    afterAll(async () => {
      await nmi?.stop();
      for (const relay of relays) await relay.close();
      relays = [];
      await topology?.destroy();
      await sandbox?.close();
    });

    test('NMI installed the redirect in the node namespace', async () => {
      const rules = (await topology.exec(nodeNs, 'iptables', ['-w', '-t', 'nat', '-S', 'aad-metadata'])).stdout;
      expect(rules).toContain(
        `-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:${NMI_PORT}`,
      );
    });

    test('plain HTTP to 169.254.169.254 from the pod namespace gets the pod identity token', async () => {
      const response = await httpRequestFromNamespace(podNs, {
        url: `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(RESOURCE)}`,
        headers: { Metadata: 'true' },
        timeoutMs: 30_000,
      });
      if (!response.ok) throw new Error(`no answer from 169.254.169.254: ${JSON.stringify(response)}`);
      const claims = claimsOf({ status: response.status, body: response.body, json: response.json });
      expect(claims['appid']).toBe(sandbox.azure.world.identities[0]!.clientId);
    });

    test('@azure/msal-node ManagedIdentityApplication gets the token through the redirect', async () => {
      const result = await runClient(MSAL_CLIENT);
      expect(result.error).toBeUndefined();
      const claims = JSON.parse(Buffer.from(result.token!.split('.')[1]!, 'base64url').toString()) as { appid: string };
      expect(claims.appid).toBe(sandbox.azure.world.identities[0]!.clientId);
    }, 60_000);

    test('@azure/identity ManagedIdentityCredential gets the token through the redirect', async () => {
      const result = await runClient(AZURE_IDENTITY_CLIENT);
      expect(result.error).toBeUndefined();
      const claims = JSON.parse(Buffer.from(result.token!.split('.')[1]!, 'base64url').toString()) as { appid: string };
      expect(claims.appid).toBe(sandbox.azure.world.identities[0]!.clientId);
    }, 60_000);
  },
  { binaries: ['ip', 'iptables'] },
);

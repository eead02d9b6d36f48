import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AzureEmulator, startAzureEmulator } from '@podid/azure-emulator';
import { type AzureAssignedIdentity, customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';

export const SUBSCRIPTION = '00000000-0000-0000-0000-00000000c0de';
export const TENANT = '11111111-2222-3333-4444-555555555555';
export const NODE_RG = 'mc-nodes';
export const IDENTITY_RG = 'identities';
const MIC_CLIENT_ID = '99999999-8888-7777-6666-555555555555';
const MIC_SECRET = 'mic-test-secret';

export const MIC_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Fails with a clear message when the app has not been built (the root `npm test` builds before jest). */
export function requireBuiltMic(): void {
  if (!fs.existsSync(MIC_MAIN)) {
    throw new Error(
      `${MIC_MAIN} is missing: build first (npm run build, or npx turbo run build --filter=@podid/mic...)`,
    );
  }
}

export interface MicProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Two emulators, podid's CRDs, one subscription with the MIC service principal, and the files MIC reads. */
export class MicWorld {
  private constructor(
    readonly kube: KubeEmulator,
    readonly azure: AzureEmulator,
    readonly dir: string,
    private readonly processes: MicProcess[] = [],
  ) {}

  static async start(options: { scaleSetUpdateMs?: number } = {}): Promise<MicWorld> {
    const [kube, azure] = await Promise.all([
      startKubeEmulator(),
      startAzureEmulator({
        latency: { virtualMachineUpdateMs: 10, scaleSetUpdateMs: options.scaleSetUpdateMs ?? 10 },
        concurrentUpdates: 'reject',
      }),
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podid-mic-'));
    const world = new MicWorld(kube, azure, dir);
    for (const crd of customResourceDefinitions) {
      await world.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
    azure.admin.createSubscription({ subscriptionId: SUBSCRIPTION, tenantId: TENANT });
    azure.admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: NODE_RG });
    azure.admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: IDENTITY_RG });
    azure.admin.createServicePrincipal({ tenantId: TENANT, clientId: MIC_CLIENT_ID, secret: MIC_SECRET });
    fs.writeFileSync(path.join(dir, 'ca.pem'), azure.caCertPem);
    fs.writeFileSync(
      path.join(dir, 'environment.json'),
      JSON.stringify({
        name: 'AzureEmulator',
        resourceManagerEndpoint: azure.armUrl,
        activeDirectoryEndpoint: azure.aadUrl,
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'azure.json'),
      JSON.stringify({
        cloud: 'AzureStackCloud',
        tenantId: TENANT,
        aadClientId: MIC_CLIENT_ID,
        aadClientSecret: MIC_SECRET,
        subscriptionId: SUBSCRIPTION,
        resourceGroup: NODE_RG,
      }),
    );
    return world;
  }

  /** A raw JSON request to the kube-emulator (what kubectl would do). */
  async request(method: string, apiPath: string, body?: unknown): Promise<unknown> {
    const token = this.kube.kubeconfig.users[0]?.user.token ?? '';
    const response = await fetch(`${this.kube.url}${apiPath}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`${method} ${apiPath} -> ${response.status}: ${text}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  identity(name: string): { resourceId: string; clientId: string } {
    const created = this.azure.admin.createUserAssignedIdentity({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: IDENTITY_RG,
      name,
    });
    return { resourceId: created.id, clientId: created.clientId };
  }

  /** A VMSS with `nodes` instances in the emulator, and their Node objects in Kubernetes. */
  async scaleSet(name: string, nodes: number): Promise<string[]> {
    const nodeNames = Array.from({ length: nodes }, (_, i) => `${name}-${i}`);
    await this.azure.admin.createVirtualMachineScaleSet({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODE_RG,
      name,
      instances: nodeNames.map((nodeName) => ({ nodeName, imds: false })),
    });
    for (const [index, nodeName] of nodeNames.entries()) {
      await this.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName },
        spec: {
          providerID: `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}/virtualMachines/${index}`,
        },
      });
    }
    return nodeNames;
  }

  scaleSetIdentities(name: string): string[] {
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
    return [...this.azure.admin.identityState(id).userAssignedIdentities].sort();
  }

  async createIdentityAndBinding(name: string, selector: string, namespace = 'default') {
    const identity = this.identity(name);
    await this.request('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentities`, {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name, namespace },
      spec: { type: 0, resourceID: identity.resourceId, clientID: identity.clientId },
    });
    await this.request('POST', `/apis/aadpodidentity.k8s.io/v1/namespaces/${namespace}/azureidentitybindings`, {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentityBinding',
      metadata: { name: `${name}-binding`, namespace },
      spec: { azureIdentity: name, selector },
    });
    return identity;
  }

  createPod(name: string, nodeName: string, selector: string, namespace = 'default') {
    return this.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { aadpodidbinding: selector } },
      spec: { nodeName, containers: [{ name: 'app', image: 'app' }] },
      status: { phase: 'Running', podIP: '10.1.0.1' },
    });
  }

  deletePod(name: string, namespace = 'default') {
    return this.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  async assignedIdentities(): Promise<AzureAssignedIdentity[]> {
    const list = (await this.request('GET', '/apis/aadpodidentity.k8s.io/v1/azureassignedidentities')) as {
      items: AzureAssignedIdentity[];
    };
    return list.items;
  }

  /** Starts the built MIC against both emulators with fast, test-friendly settings. */
  startMic(extraArgs: string[] = [], instance = 'mic-0', kubeconfigPath = this.kube.kubeconfigPath): MicProcess {
    const child = spawn(
      process.execPath,
      [
        MIC_MAIN,
        `--kubeconfig=${kubeconfigPath}`,
        `--cloudconfig=${path.join(this.dir, 'azure.json')}`,
        '--http-probe-port=0',
        '--prometheus-port=0',
        '--log-format=json',
        '--sync-debounce=50ms',
        '--arm-poll-interval=20ms',
        '--leader-election-duration=20s',
        `--leader-election-instance=${instance}`,
        ...extraArgs,
      ],
      {
        env: {
          ...process.env,
          MIC_POD_NAMESPACE: 'default',
          AZURE_ENVIRONMENT_FILEPATH: path.join(this.dir, 'environment.json'),
          NODE_EXTRA_CA_CERTS: path.join(this.dir, 'ca.pem'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      for (const waiter of waiters) waiter();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const handle: MicProcess = {
      child,
      lines,
      exited,
      waitForLine: (pattern, timeoutMs = 20_000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            const found = lines.find((line) => pattern.test(line));
            if (found) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(found);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`MIC never printed ${pattern}; output:\n${lines.slice(-30).join('\n')}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
    this.processes.push(handle);
    return handle;
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL')));
    await Promise.all([this.kube.close(), this.azure.close()]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` returns a value that is not undefined. Tests wait for effects, never for fixed times. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

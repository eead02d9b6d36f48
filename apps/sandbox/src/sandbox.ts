/**
 * startSandbox: a whole podid installation on this machine — the Kubernetes API (kube-emulator) with podid's CRDs,
 * the emulated Azure (ARM, AAD, one IMDS per node), MIC and one NMI per node as child processes, and a fake kubelet
 * that gives pods loopback addresses — plus the helpers a demo, a test or a benchmark needs to drive it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzureEmulator } from '@podid/azure-emulator';
import { customResourceDefinitions, type Pod } from '@podid/crd-types';
import { createKubeConfig, createKubeConnection } from '@podid/kube-client';
import { startKubeEmulator } from '@podid/kube-emulator';
import { createAzureWorld, DEFAULT_WORLD_SHAPE } from './azure-world.js';
import {
  azureIdentityBindingObject,
  azureIdentityObject,
  nodeObject,
  type PodSpecInput,
  podIdentityExceptionObject,
  podObject,
} from './cluster-objects.js';
import {
  type LaunchContext,
  type LaunchedComponent,
  launchMic,
  launchNmi,
  writeEmulatorFiles,
} from './component-launcher.js';
import { removeIdentityFromCompute } from './compute-identities.js';
import { FakeKubelet } from './fake-kubelet.js';
import { type KubeObject, KubeRest } from './kube-rest.js';
import type { ManagedProcess } from './managed-process.js';
import { httpGetInNamespace } from './netns-commands.js';
import { NetnsNetwork } from './netns-network.js';
import { startNodeImdsRelays, type NodeImdsRelays } from './netns-node-imds.js';
import { netnsNmiSettings } from './netns-nmi.js';
import { NMI_STARTUP_TAINT, NodeTaintWatch, taintsOf } from './taint-scheduling.js';
import { PodAddressPool } from './pod-address-pool.js';
import { SANDBOX_MIC_ARGS, SANDBOX_NMI_ARGS, type SandboxOptions } from './sandbox-options.js';
import {
  eventually,
  NETNS_ANNOTATION,
  type Sandbox,
  type SandboxNmi,
  type SandboxPod,
  type WaitOptions,
} from './sandbox-types.js';
import { tokenPath, type WorkloadResponse, workloadRequest } from './workload-request.js';

export {
  NETNS_ANNOTATION,
  type Sandbox,
  type SandboxNmi,
  type SandboxPod,
  SandboxTimeoutError,
  type WaitOptions,
} from './sandbox-types.js';

/** Like Promise.all, but lets every start finish (so each has registered its cleanup) before failing. */
async function settleAll(starts: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const startupTimings: { step: string; ms: number }[] = [];
  const mark = (step: string) => {
    const ms = Date.now() - started;
    startupTimings.push({ step, ms });
    progress(`${step} (${ms} ms)`);
  };
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'podid-sandbox-'));
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const micNamespace = options.micNamespace ?? 'default';
  const cleanups: (() => Promise<void>)[] = [];
  if (options.removeWorkDirOnClose && options.workDir === undefined) {
    cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
  }
  let closing = false;
  /** A child that dies while the sandbox runs is reported with its last output (a crash must not go unnoticed). */
  const watchExit = (name: string, child: ManagedProcess) => {
    void child.whenExited().then(() => {
      if (!closing) progress(`${name} exited (code ${child.exitCode}); last output:\n${child.recentOutput()}`);
    });
  };
  const closeAll = async () => {
    closing = true;
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // keep closing the rest
      }
    }
  };

  try {
    const latency = options.armLatencyMs ?? 20;
    const azure = await startAzureEmulator({
      latency: { virtualMachineUpdateMs: latency, scaleSetUpdateMs: latency },
      // As ARM: a PATCH while the previous one on the same VM/VMSS still runs is refused with 409 Conflict, so an
      // overlapping update from MIC shows up as a failure instead of being hidden.
      concurrentUpdates: 'reject',
    });
    cleanups.push(() => azure.close());
    const shape = { ...DEFAULT_WORLD_SHAPE, ...options.world };
    if (options.preassignedIdentities !== undefined) shape.preassignedIdentities = options.preassignedIdentities;
    const world = await createAzureWorld(azure, shape);
    mark(
      `azure-emulator: ARM ${azure.armUrl}, AAD ${azure.aadUrl}; ${world.scaleSetIds.length} VMSS, ${world.virtualMachineIds.length} VM, ${world.nodes.length} nodes, ${world.identities.length} identities`,
    );

    const kube = await startKubeEmulator({ kubeconfigPath: join(workDir, 'kubeconfig') });
    cleanups.push(() => kube.close());
    const rest = new KubeRest(kube.url, kube.kubeconfig.users[0]?.user.token ?? '');
    for (const crd of customResourceDefinitions) {
      await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
    for (const namespace of new Set(['default', 'kube-system', micNamespace])) {
      await rest.ensure('namespaces', undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      });
    }
    // As on a node pool registered with NMI's start-up taint: no pod is scheduled to a node before its NMI serves.
    const startupTaint = options.startupTaint ?? options.nmi ?? true;
    for (const node of world.nodes) {
      await rest.create('nodes', undefined, nodeObject(node, startupTaint ? [NMI_STARTUP_TAINT] : []));
    }
    mark(`kube-emulator: ${kube.url} with podid's CRDs and ${world.nodes.length} nodes`);

    const files = writeEmulatorFiles(workDir, world, azure, {
      ...(world.clusterIdentity ? { userAssignedIdentityID: world.clusterIdentity.clientId } : {}),
    });
    const connection = createKubeConnection({
      kubeConfig: createKubeConfig({ kubeconfigPath: kube.kubeconfigPath }),
      userAgent: 'podid-sandbox/kubelet',
      qps: -1,
    });
    const pool = new PodAddressPool();
    const network = options.netns ? await NetnsNetwork.create(world.nodes.map((node) => node.name)) : undefined;
    let nodeImds: NodeImdsRelays | undefined;
    if (network) {
      cleanups.push(() => network.destroy());
      nodeImds = await startNodeImdsRelays(
        world.nodes.map((node) => ({ name: node.name, ns: network.nodeNamespace(node.name), imdsUrl: node.imdsUrl })),
        workDir,
      );
      const relays = nodeImds;
      cleanups.push(() => relays.close());
      mark(`network namespaces for ${world.nodes.length} nodes, each with an IMDS at 169.254.169.254`);
    }
    const nodeTaints = new NodeTaintWatch(connection);
    await nodeTaints.start();
    cleanups.push(() => nodeTaints.stop());
    const kubelet = new FakeKubelet({
      connection,
      rest,
      nodeNames: world.nodes.map((node) => node.name),
      hostIp: () => '127.0.0.1',
      pool,
      log: progress,
      nodeFilter: nodeTaints,
      ...(network
        ? {
            addressFor: async (pod: Pod, nodeName: string) => {
              const netnsPod = await network.addPod(nodeName);
              await rest.mergePatch('pods', pod.metadata.namespace, pod.metadata.name, {
                metadata: { annotations: { [NETNS_ANNOTATION]: netnsPod.ns } },
              });
              return netnsPod.ip;
            },
            onPodGone: async (_pod: Pod, address: string | undefined) => {
              if (address !== undefined) await network.removePod(address);
            },
          }
        : {}),
    });
    await kubelet.start();
    cleanups.push(() => kubelet.stop());

    const context: LaunchContext = {
      workDir,
      kubeconfigPath: kube.kubeconfigPath,
      files,
      micNamespace,
      ...(options.onComponentLine ? { onLine: options.onComponentLine } : {}),
      ...(options.micScript ? { micScript: options.micScript } : {}),
      ...(options.nmiScript ? { nmiScript: options.nmiScript } : {}),
    };
    const configuredMicArgs = typeof options.micArgs === 'function' ? options.micArgs(world) : (options.micArgs ?? []);
    const mics: LaunchedComponent[] = [];
    let micCounter = 0;
    const startMic: Sandbox['startMic'] = async (micOptions = {}) => {
      micCounter++;
      const launched = await launchMic(context, {
        instance: micOptions.instance ?? `mic-${micCounter}`,
        extraArgs: [...SANDBOX_MIC_ARGS, ...configuredMicArgs, ...(micOptions.extraArgs ?? [])],
      });
      mics.push(launched);
      cleanups.push(() => launched.process.stop());
      watchExit(`MIC ${micOptions.instance ?? `mic-${micCounter}`}`, launched.process);
      if (micOptions.waitActive ?? true) await launched.process.waitUntil('active');
      else await launched.process.waitUntil('listening');
      return launched;
    };

    const nodeByName = (nodeName: string) => {
      const node = world.nodes.find((candidate) => candidate.name === nodeName);
      if (!node) throw Object.assign(new Error(`no sandbox node ${nodeName}`), { code: 'unknown_node' });
      return node;
    };

    const nmis = new Map<string, SandboxNmi>();
    const nodeTainted = async (nodeName: string) =>
      taintsOf((await rest.get('nodes', undefined, nodeName)) as never).some(
        (taint) => taint.key === NMI_STARTUP_TAINT.key,
      );
    const startNmi = async (nodeName: string): Promise<SandboxNmi> => {
      const node = nodeByName(nodeName);
      if (nmis.has(node.name))
        throw Object.assign(new Error(`NMI already runs on ${node.name}`), { code: 'nmi_running' });
      const netnsSettings = network
        ? await netnsNmiSettings(network, node.name, node.imdsUrl, kube, workDir, cleanups, azure.aadUrl)
        : {};
      const launched = await launchNmi(context, {
        nodeName: node.name,
        imdsUrl: node.imdsUrl,
        ...netnsSettings,
        extraArgs: [...SANDBOX_NMI_ARGS, ...(network ? ['--set-route-localnet'] : []), ...(options.nmiArgs ?? [])],
      });
      const nmi: SandboxNmi = {
        ...launched,
        nodeName: node.name,
        imdsUrl: node.imdsUrl,
        ...(network ? { namespace: network.nodeNamespace(node.name), url: 'http://169.254.169.254' } : {}),
      };
      nmis.set(node.name, nmi);
      cleanups.push(() => launched.process.stop());
      watchExit(`NMI ${node.name}`, launched.process);
      await launched.process.waitUntil('active');
      // NMI takes its start-up taint off once it serves; wait for that so the node takes pods when this returns.
      if (startupTaint) {
        await eventually(
          async () => !(await nodeTainted(node.name)),
          `NMI on ${node.name} to remove its start-up taint`,
        );
        progress(`node ${node.name} accepts pods: its NMI removed the start-up taint`);
      }
      return nmi;
    };
    const nmiNodes = (options.nmi ?? true) ? world.nodes : [];
    const nmiStarts = nmiNodes.map((node) => startNmi(node.name));
    if (options.mic ?? true) {
      await settleAll([startMic(), ...nmiStarts]);
      mark(`MIC leading; NMI ready on ${nmiNodes.length} nodes`);
    } else {
      await settleAll(nmiStarts);
      mark(`NMI ready on ${nmiNodes.length} nodes (MIC not started)`);
    }

    const podOf = async (input: PodSpecInput, waitOptions: WaitOptions = {}): Promise<SandboxPod> => {
      const namespace = input.namespace ?? 'default';
      await rest.create('pods', namespace, podObject(input));
      let result: SandboxPod | undefined;
      await eventually(
        async () => {
          const pod = await rest.get('pods', namespace, input.name);
          const spec = pod?.['spec'] as { nodeName?: string } | undefined;
          const status = pod?.['status'] as { podIP?: string } | undefined;
          if (spec?.nodeName && status?.podIP) {
            const annotations = (pod?.metadata?.['annotations'] ?? {}) as Record<string, string>;
            const netnsName = annotations[NETNS_ANNOTATION];
            result = {
              name: input.name,
              namespace,
              nodeName: spec.nodeName,
              podIP: status.podIP,
              uid: String(pod?.metadata?.['uid'] ?? ''),
              ...(netnsName ? { netns: netnsName } : {}),
            };
            return true;
          }
          return false;
        },
        `pod ${namespace}/${input.name} to get a node and an address`,
        waitOptions,
      );
      return result!;
    };

    const assignedFor = async (pod: { name: string; namespace: string }): Promise<KubeObject[]> => {
      const all = await rest.list('azureassignedidentities');
      return all.filter((object) => {
        const spec = object['spec'] as { pod?: string; podNamespace?: string } | undefined;
        return spec?.pod === pod.name && spec.podNamespace === pod.namespace;
      });
    };

    const nmiFor = (pod: SandboxPod): SandboxNmi => {
      const nmi = nmis.get(pod.nodeName);
      if (!nmi) throw Object.assign(new Error(`no NMI runs on node ${pod.nodeName}`), { code: 'no_nmi_on_node' });
      return nmi;
    };

    /** Loopback mode: from the pod's 127.x address to its node's NMI. Netns mode: curl to 169.254.169.254 in the pod's namespace. */
    const fromPod = async (
      pod: SandboxPod,
      path: string,
      headers?: Record<string, string>,
    ): Promise<WorkloadResponse> => {
      const netnsPod = network?.podByAddress(pod.podIP);
      if (!netnsPod) {
        return workloadRequest({ nmiUrl: nmiFor(pod).url, podIP: pod.podIP, path, ...(headers ? { headers } : {}) });
      }
      const answer = await httpGetInNamespace(
        netnsPod.ns,
        `http://169.254.169.254${path}`,
        headers ?? { Metadata: 'true' },
      );
      if (!answer)
        throw Object.assign(new Error(`no answer from 169.254.169.254 in ${netnsPod.ns}`), { code: 'no_answer' });
      let json: unknown;
      try {
        json = JSON.parse(answer.body);
      } catch {
        json = undefined;
      }
      return { status: answer.status, headers: answer.headers, body: answer.body, json };
    };

    const sandbox: Sandbox = {
      workDir,
      kube: { url: kube.url, kubeconfigPath: kube.kubeconfigPath, rest, emulator: kube },
      azure: { emulator: azure, world },
      mics,
      nmis,
      startupTimings,
      async createNamespace(name) {
        await rest.ensure('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      },
      createIdentity: (input) => {
        const object = azureIdentityObject(input);
        if (input.kind === 'service-principal' || input.kind === 'federated') {
          (object['spec'] as Record<string, unknown>)['adEndpoint'] = `${azure.aadUrl}/`;
        }
        return rest.create('azureidentities', input.namespace ?? 'default', object);
      },
      createBinding: (input) =>
        rest.create('azureidentitybindings', input.namespace ?? 'default', azureIdentityBindingObject(input)),
      createException: (input) =>
        rest.create('azurepodidentityexceptions', input.namespace ?? 'default', podIdentityExceptionObject(input)),
      async createServicePrincipalSecret(name, namespace = 'default') {
        await rest.create('secrets', namespace, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace },
          type: 'Opaque',
          data: { clientSecret: Buffer.from(world.workloadPrincipal.clientSecret).toString('base64') },
        });
      },
      createPod: podOf,
      async deletePod(pod) {
        await rest.delete('pods', pod.namespace, pod.name);
      },
      assignedIdentities: assignedFor,
      async waitForAssigned(pod, waitOptions = {}) {
        const count = waitOptions.count ?? 1;
        let assigned: KubeObject[] = [];
        await eventually(
          async () => {
            const objects = await assignedFor(pod);
            assigned = objects.filter((o) => (o['status'] as { status?: string } | undefined)?.status === 'Assigned');
            return assigned.length >= count;
          },
          `${count} Assigned identit${count === 1 ? 'y' : 'ies'} for pod ${pod.namespace}/${pod.name}`,
          waitOptions,
        );
        return assigned;
      },
      async waitForNoAssigned(pod, waitOptions = {}) {
        await eventually(
          async () => (await assignedFor(pod)).length === 0,
          `no assigned identity left for pod ${pod.namespace}/${pod.name}`,
          waitOptions,
        );
      },
      fetchToken: (pod, resource, query = {}) => fromPod(pod, tokenPath({ resource, ...query })),
      requestFromPod: (pod, path, headers) => fromPod(pod, path, headers),
      nodeIdentities(nodeName) {
        return azure.admin
          .identityState(nodeByName(nodeName).computeId)
          .userAssignedIdentities.map((id) => id.toLowerCase());
      },
      async removeIdentityExternally(nodeName, identityResourceId) {
        await removeIdentityFromCompute(azure, world, nodeByName(nodeName).computeId, identityResourceId);
      },
      startMic,
      startNmi,
      nodeImdsConnections: (nodeName, source) => nodeImds?.connections(nodeName, source) ?? 0,
      eventually,
      close: closeAll,
    };
    return sandbox;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

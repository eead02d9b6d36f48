import type { TokenCredential } from '@azure/core-auth';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AzureEmulator, startAzureEmulator } from '@podid/azure-emulator';
import type { ArmTarget } from '@podid/crd-types';
import { planArmPatch } from '@podid/reconciler';
import { createArmCredential } from '../arm-credential.js';
import { type CloudEnvironment, resolveCloudEnvironment } from '../cloud-environment.js';
import { createArmIdentityAssigner, type CreateArmIdentityAssignerOptions } from '../create-arm-identity-assigner.js';
import type { IdentityAssigner } from '../identity-assigner.js';

export const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000a1';
export const OTHER_TENANT_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000b2';
export const TENANT = '11111111-1111-1111-1111-111111111111';
export const NODES_RG = 'rg-nodes';
export const IDS_RG = 'rg-ids';
export const MIC_CLIENT_ID = '22222222-2222-2222-2222-222222222222';
export const MIC_SECRET = 'mic-secret-value';

/** Deterministic PRNG (mulberry32) so rate-based faults fire the same way on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EmulatorWorld {
  readonly emulator: AzureEmulator;
  readonly environment: CloudEnvironment;
  /** The MIC service principal's credential against the emulator's AAD. */
  readonly credential: TokenCredential;
  /** Creates a user-assigned identity in rg-ids and returns its resource ID. */
  identity(name: string): string;
  /** Creates a VMSS (one instance, no IMDS listener) and returns its target. */
  scaleSet(name: string, options?: { systemAssigned?: boolean; userAssigned?: string[] }): Promise<ArmTarget>;
  virtualMachine(name: string, options?: { systemAssigned?: boolean; userAssigned?: string[] }): Promise<ArmTarget>;
  /** An assigner talking to the emulator with the real SDKs, a fake clock and an instant, recorded sleep. */
  assigner(overrides?: Partial<CreateArmIdentityAssignerOptions>): AssignerHandle;
  close(): Promise<void>;
}

export interface AssignerHandle {
  readonly assigner: IdentityAssigner;
  readonly sleeps: number[];
  advance(ms: number): void;
  now(): number;
}

export async function startEmulatorWorld(options: { random?: () => number } = {}): Promise<EmulatorWorld> {
  const emulator = await startAzureEmulator({
    latency: { virtualMachineUpdateMs: 15, scaleSetUpdateMs: 15 },
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const admin = emulator.admin;
  admin.createSubscription({ subscriptionId: SUBSCRIPTION, tenantId: TENANT });
  admin.createSubscription({
    subscriptionId: OTHER_TENANT_SUBSCRIPTION,
    tenantId: '33333333-3333-3333-3333-333333333333',
  });
  admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: NODES_RG });
  admin.createResourceGroup({ subscriptionId: SUBSCRIPTION, name: IDS_RG });
  admin.createResourceGroup({ subscriptionId: OTHER_TENANT_SUBSCRIPTION, name: NODES_RG });
  admin.createServicePrincipal({ tenantId: TENANT, clientId: MIC_CLIENT_ID, secret: MIC_SECRET });

  // Pointed at the emulator exactly like at a custom cloud: cloud AzureStackCloud plus an environment file.
  const directory = mkdtempSync(join(tmpdir(), 'arm-assigner-'));
  const environmentFile = join(directory, 'akscustom.json');
  writeFileSync(
    environmentFile,
    JSON.stringify({
      name: 'AzureEmulator',
      resourceManagerEndpoint: emulator.armUrl,
      activeDirectoryEndpoint: emulator.aadUrl,
    }),
  );
  const environment = resolveCloudEnvironment({
    cloud: 'AzureStackCloud',
    env: { AZURE_ENVIRONMENT_FILEPATH: environmentFile },
  });
  const credential = createArmCredential({
    environment,
    tenantId: TENANT,
    aadClientId: MIC_CLIENT_ID,
    aadClientSecret: MIC_SECRET,
    tlsCa: emulator.caCertPem,
  });

  const compute = async (
    kind: 'vm' | 'vmss',
    name: string,
    opts: { systemAssigned?: boolean; userAssigned?: string[] } = {},
  ): Promise<ArmTarget> => {
    const common = {
      subscriptionId: SUBSCRIPTION,
      resourceGroup: NODES_RG,
      name,
      systemAssignedIdentity: opts.systemAssigned ?? false,
      userAssignedIdentities: opts.userAssigned ?? [],
    };
    if (kind === 'vm') await admin.createVirtualMachine({ ...common, imds: false });
    else await admin.createVirtualMachineScaleSet({ ...common, instances: [{ nodeName: `${name}-0`, imds: false }] });
    return { kind, subscriptionId: SUBSCRIPTION, resourceGroup: NODES_RG, name };
  };

  return {
    emulator,
    environment,
    credential,
    identity: (name) =>
      admin.createUserAssignedIdentity({ subscriptionId: SUBSCRIPTION, resourceGroup: IDS_RG, name }).id,
    scaleSet: (name, opts) => compute('vmss', name, opts),
    virtualMachine: (name, opts) => compute('vm', name, opts),
    assigner: (overrides = {}) => {
      let now = Date.now();
      const sleeps: number[] = [];
      const assigner = createArmIdentityAssigner({
        environment,
        credential,
        planPatch: planArmPatch,
        tlsCa: emulator.caCertPem,
        pollIntervalMs: 10,
        transientRetry: { maxRetries: 3, initialDelayMs: 2, maxDelayMs: 10 },
        clock: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...overrides,
      });
      return {
        assigner,
        sleeps,
        advance: (ms) => {
          now += ms;
        },
        now: () => now,
      };
    },
    close: async () => {
      rmSync(directory, { recursive: true, force: true });
      await emulator.close();
    },
  };
}

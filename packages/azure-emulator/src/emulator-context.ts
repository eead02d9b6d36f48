import type { TokenSigner } from './aad/token-signer.js';
import type { RequestBudget } from './arm/request-budget.js';
import type { FaultInjector } from './fault-injector.js';
import type { AzureState } from './state/azure-state.js';

/** How a second PATCH on a VM/VMSS with an update still in flight is treated. */
export type ConcurrentUpdateMode = 'reject' | 'queue';

export interface LatencySettings {
  /** Duration of a VM PATCH long-running operation, in ms. */
  virtualMachineUpdateMs: number;
  /** Duration of a VMSS PATCH long-running operation, in ms (production takes ~40 s). */
  scaleSetUpdateMs: number;
  /** Delay before IMDS answers, in ms. */
  imdsMs: number;
}

/** One PATCH as ARM received it. */
export interface PatchLogEntry {
  /** Milliseconds since epoch, from the emulator's clock. */
  at: number;
  kind: 'vm_update' | 'vmss_update';
  resourceId: string;
  /** The parsed JSON body, or the raw text when it did not parse. */
  body: unknown;
  /** The status ARM answered the PATCH with. */
  status: number;
}

/** Shared, mutable emulator internals every protocol front-end reads. */
export interface EmulatorContext {
  state: AzureState;
  signer: TokenSigner;
  now: () => number;
  armFaults: FaultInjector;
  aadFaults: FaultInjector;
  imdsFaults: FaultInjector;
  budget: RequestBudget;
  latency: LatencySettings;
  concurrentUpdates: ConcurrentUpdateMode;
  requestCounts: Map<string, number>;
  patchLog: PatchLogEntry[];
  /** Token lifetime for everything the emulator issues, in seconds. */
  tokenLifetimeSeconds: number;
  urls: { arm: string; aad: string };
}

export function countRequest(ctx: EmulatorContext, kind: string): void {
  ctx.requestCounts.set(kind, (ctx.requestCounts.get(kind) ?? 0) + 1);
}

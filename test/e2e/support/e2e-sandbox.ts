/**
 * The sandbox as the e2e suites use it: built MIC/NMI required (a clear message otherwise), short NMI retry budgets
 * so "no identity" answers come in seconds, and helpers shared by the scenario files.
 */
import { existsSync } from 'node:fs';
import {
  MIC_SCRIPT,
  NMI_SCRIPT,
  type Sandbox,
  type SandboxOptions,
  type SandboxPod,
  startSandbox,
} from '../../../apps/sandbox/src/index.js';

export type { Sandbox, SandboxPod };

/** Resource every scenario asks a token for. */
export const RESOURCE = 'https://vault.azure.net';

/**
 * NMI gives up on an identity that is not (or no longer) assigned after 2 lookups one second apart, instead of
 * upstream's 16×5 s / 4×5 s; the e2e scenarios that expect "no token" would otherwise wait over a minute.
 */
export const E2E_NMI_ARGS = [
  '--find-identity-retry-interval=1',
  '--retry-attempts-for-created=2',
  '--retry-attempts-for-assigned=2',
] as const;

export function requireBuiltApps(): void {
  for (const script of [MIC_SCRIPT, NMI_SCRIPT]) {
    if (!existsSync(script)) {
      throw new Error(
        `${script} is missing: the e2e suites run the built apps. Run \`npx turbo run build\` (npm test does it first).`,
      );
    }
  }
}

export async function startE2eSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  requireBuiltApps();
  return startSandbox({
    ...options,
    nmiArgs: [...E2E_NMI_ARGS, ...(options.nmiArgs ?? [])],
    removeWorkDirOnClose: true,
  });
}

/** The access token's claims from a successful token response (fails the test with the body otherwise). */
export function claimsOf(response: { status: number; body: string; json: unknown }): Record<string, unknown> {
  const token = (response.json as { access_token?: unknown } | undefined)?.access_token;
  if (response.status !== 200 || typeof token !== 'string') {
    throw new Error(`expected a token (HTTP 200), got HTTP ${response.status}: ${response.body.slice(0, 300)}`);
  }
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Unique names per test, so scenarios sharing one sandbox never see each other's objects. */
let counter = 0;
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${counter}`;
}

interface AssignedView {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    azureIdentityRef?: { metadata?: { name?: string; namespace?: string }; spec?: { clientID?: string } };
    azureBindingRef?: { metadata?: { name?: string } };
    nodename?: string;
  };
  status?: { status?: string };
}

/** `status.status` of an AzureAssignedIdentity (Created / Assigned / Unassigned). */
export function assignedState(object: unknown): string | undefined {
  return (object as AssignedView | undefined)?.status?.status;
}

/** The AzureIdentity an AzureAssignedIdentity copies: its name, namespace and clientID. */
export function identityRefOf(object: unknown): { name?: string; namespace?: string; clientID?: string } {
  const ref = (object as AssignedView | undefined)?.spec?.azureIdentityRef;
  return { ...ref?.metadata, ...(ref?.spec?.clientID ? { clientID: ref.spec.clientID } : {}) };
}

export function bindingNameOf(object: unknown): string | undefined {
  return (object as AssignedView | undefined)?.spec?.azureBindingRef?.metadata?.name;
}

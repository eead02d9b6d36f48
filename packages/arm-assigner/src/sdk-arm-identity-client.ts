import { ComputeManagementClient } from '@azure/arm-compute';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, Pipeline } from '@azure/core-rest-pipeline';
import type {
  ArmIdentityPatchBody,
  ArmIdentityState,
  ArmIdentityType,
  ArmTarget,
  UserAssignedIdentityIdParts,
} from '@podid/crd-types';
import type { ArmIdentityClient, UserAssignedIdentityInfo } from './arm-identity-client.js';
import { ArmAssignerError } from './errors.js';
import { mapSdkError } from './sdk-error-mapping.js';
import type { Clock } from './throttle-gate.js';
import { type TransientRetryOptions, transientRetryPolicy } from './transient-retry-policy.js';

/** Upstream's LRO polling delay (§2.1 step 6). */
export const DEFAULT_POLL_INTERVAL_MS = 5000;
/** Upstream's SDK polling timeout (§2.1 step 6): how long one PATCH may take before it counts as failed. */
export const DEFAULT_UPDATE_TIMEOUT_MS = 15 * 60 * 1000;

export interface SdkArmIdentityClientOptions {
  readonly credential: TokenCredential;
  /** ARM base URL, e.g. `https://management.azure.com/` or the emulator's; see `resolveCloudEnvironment`. */
  readonly resourceManagerEndpointUrl: string;
  /** Token scope for ARM; default `<resourceManagerEndpointUrl>/.default`, as upstream asks for that resource. */
  readonly tokenScope?: string;
  /** Extra CA certificate(s) (PEM) trusted for ARM, e.g. the emulator's self-signed CA. */
  readonly tlsCa?: string | Buffer | readonly (string | Buffer)[];
  /** Replaces the HTTP client entirely (tests, proxies). */
  readonly httpClient?: HttpClient;
  /** LRO polling interval when ARM gives no Retry-After on the operation (default 5000 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Give up waiting for one PATCH after this long (default 15 min, as upstream). ARM's operation is not cancelled;
   * the next attempt may meet a 409 Conflict until it ends.
   */
  readonly updateTimeoutMs?: number;
  /** Bounds of the pipeline's retry of transient failures (408/5xx without Retry-After, dropped connections). */
  readonly transientRetry?: TransientRetryOptions;
  /** Put before the SDK's own user agent, e.g. `podid/MIC/<version>/...` (upstream: `aad-pod-identity/MIC/...`). */
  readonly userAgentPrefix?: string;
  /** Time source for Retry-After deadlines (date form). */
  readonly clock?: Clock;
}

interface SubscriptionClients {
  readonly compute: ComputeManagementClient;
  readonly msi: ManagedServiceIdentityClient;
}

/**
 * ArmIdentityClient over @azure/arm-compute 24 (VM / VMSS GET and PATCH) and @azure/arm-msi 2 (identity GET).
 * One pair of SDK clients per subscription, created on first use.
 */
export class SdkArmIdentityClient implements ArmIdentityClient {
  readonly #options: SdkArmIdentityClientOptions;
  readonly #clients = new Map<string, SubscriptionClients>();
  readonly #clock: Clock;

  constructor(options: SdkArmIdentityClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  async readIdentity(target: ArmTarget): Promise<ArmIdentityState> {
    const { compute } = this.#clientsFor(target.subscriptionId);
    const context = {
      operation: 'read' as const,
      what: `failed to get ${target.kind} ${target.name} in resource group ${target.resourceGroup}`,
      notFoundCode: 'target_not_found' as const,
    };
    try {
      const resource =
        target.kind === 'vm'
          ? await compute.virtualMachines.get(target.resourceGroup, target.name)
          : await compute.virtualMachineScaleSets.get(target.resourceGroup, target.name);
      return identityStateOf(resource);
    } catch (error) {
      throw mapSdkError(error, { ...context, nowMs: this.#clock() });
    }
  }

  async patchIdentity(target: ArmTarget, body: ArmIdentityPatchBody): Promise<ArmIdentityState> {
    const { compute } = this.#clientsFor(target.subscriptionId);
    // The SDK models type `userAssignedIdentities` values as objects; ARM needs `null` to remove an identity and
    // the serializer passes null through unchanged, hence the cast.
    const identity = body.identity as NonNullable<Parameters<typeof compute.virtualMachines.update>[2]['identity']>;
    const timeoutMs = this.#options.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS;
    const pollOptions = {
      updateIntervalInMs: this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      abortSignal: AbortSignal.timeout(timeoutMs),
    };
    try {
      const resource =
        target.kind === 'vm'
          ? await compute.virtualMachines.update(target.resourceGroup, target.name, { identity }, pollOptions)
          : await compute.virtualMachineScaleSets.update(
              target.resourceGroup,
              target.name,
              { identity } as Parameters<typeof compute.virtualMachineScaleSets.update>[2],
              pollOptions,
            );
      if (resource?.identity === undefined) {
        // ARM omits the identity block when none is left; anything else would be a surprise, so ask instead of
        // guessing.
        if (body.identity.type === 'None') return { type: 'None', userAssignedIdentityIds: [] };
        return this.readIdentity(target);
      }
      return identityStateOf(resource);
    } catch (error) {
      if (pollOptions.abortSignal.aborted) {
        throw new ArmAssignerError(
          'arm_request_failed',
          `failed to wait for identity update completion for ${target.kind} ${target.name} in resource group ${target.resourceGroup}, error: no result after ${timeoutMs} ms`,
          { operation: 'write', cause: error },
        );
      }
      throw mapSdkError(error, {
        operation: 'write',
        what: `failed to update identities for ${target.kind} ${target.name} in ${target.resourceGroup}`,
        notFoundCode: 'target_not_found',
        nowMs: this.#clock(),
      });
    }
  }

  async readUserAssignedIdentity(id: UserAssignedIdentityIdParts): Promise<UserAssignedIdentityInfo> {
    const { msi } = this.#clientsFor(id.subscriptionId);
    let identity: Awaited<ReturnType<typeof msi.userAssignedIdentities.get>>;
    try {
      identity = await msi.userAssignedIdentities.get(id.resourceGroup, id.name);
    } catch (error) {
      throw mapSdkError(error, {
        operation: 'read',
        what: `failed to get user-assigned identity ${id.name} in resource group ${id.resourceGroup}`,
        notFoundCode: 'identity_not_found',
        nowMs: this.#clock(),
      });
    }
    if (identity.clientId === undefined || identity.principalId === undefined) {
      throw new ArmAssignerError(
        'arm_request_failed',
        `user-assigned identity ${id.name} in resource group ${id.resourceGroup} has no clientId/principalId in ARM's answer`,
        { operation: 'read' },
      );
    }
    return {
      id: identity.id ?? '',
      name: identity.name ?? id.name,
      clientId: identity.clientId,
      principalId: identity.principalId,
      tenantId: identity.tenantId ?? '',
      ...(identity.location === undefined ? {} : { location: identity.location }),
    };
  }

  #clientsFor(subscriptionId: string): SubscriptionClients {
    const key = subscriptionId.toLowerCase();
    let clients = this.#clients.get(key);
    if (clients === undefined) {
      clients = this.#createClients(subscriptionId);
      this.#clients.set(key, clients);
    }
    return clients;
  }

  #createClients(subscriptionId: string): SubscriptionClients {
    const options = this.#options;
    const { endpoint, scope, common } = sdkClientSettings(options);
    const compute = new ComputeManagementClient(options.credential, subscriptionId, {
      ...common,
      endpoint,
      credentials: { scopes: [scope] },
    });
    replaceRetryPolicy(compute.pipeline as unknown as Pipeline, options.transientRetry);
    return { compute, msi: createMsiClient(options, subscriptionId) };
  }
}

/** Endpoint, token scope and the options every SDK client gets (HTTP client, extra CA, user agent). */
function sdkClientSettings(options: SdkArmIdentityClientOptions) {
  const endpoint = options.resourceManagerEndpointUrl.replace(/\/+$/, '');
  const scope = options.tokenScope ?? `${endpoint}/.default`;
  const common = {
    ...(options.httpClient === undefined ? {} : { httpClient: options.httpClient }),
    ...(options.tlsCa === undefined
      ? {}
      : { tlsOptions: { ca: options.tlsCa as string | Buffer | (string | Buffer)[] } }),
    ...(options.userAgentPrefix === undefined
      ? {}
      : { userAgentOptions: { userAgentPrefix: options.userAgentPrefix } }),
  };
  return { endpoint, scope, common };
}

/** An @azure/arm-msi client for one subscription, set up as every ARM client of this package (also for FICs). */
export function createMsiClient(
  options: SdkArmIdentityClientOptions,
  subscriptionId: string,
): ManagedServiceIdentityClient {
  const { endpoint, scope, common } = sdkClientSettings(options);
  const msi = new ManagedServiceIdentityClient(options.credential, subscriptionId, {
    ...common,
    endpoint,
    $host: endpoint,
    credentialScopes: [scope],
  });
  replaceRetryPolicy(msi.pipeline, options.transientRetry);
  return msi;
}

/**
 * Swaps the SDK's default retry policy (which waits out 429s itself) for the transient-only policy; see
 * transient-retry-policy.ts for why.
 */
function replaceRetryPolicy(pipeline: Pipeline, options: TransientRetryOptions | undefined): void {
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  pipeline.addPolicy(transientRetryPolicy(options), { phase: 'Retry' });
}

interface ResourceWithIdentity {
  readonly identity?: { readonly type?: string; readonly userAssignedIdentities?: Record<string, unknown> };
  readonly provisioningState?: string;
}

const IDENTITY_TYPES: readonly ArmIdentityType[] = [
  'None',
  'SystemAssigned',
  'UserAssigned',
  'SystemAssigned, UserAssigned',
];

function identityStateOf(resource: ResourceWithIdentity): ArmIdentityState {
  const rawType = resource.identity?.type;
  // ARM has been seen to vary the spelling (`SystemAssigned,UserAssigned`); compare without spaces or case.
  const canonical = (value: string) => value.replace(/\s+/g, '').toLowerCase();
  const type =
    rawType === undefined ? 'None' : (IDENTITY_TYPES.find((t) => canonical(t) === canonical(rawType)) ?? 'None');
  return {
    type,
    userAssignedIdentityIds: Object.keys(resource.identity?.userAssignedIdentities ?? {}),
    ...(resource.provisioningState === undefined ? {} : { provisioningState: resource.provisioningState }),
  };
}

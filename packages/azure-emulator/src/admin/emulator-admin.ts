import { randomUUID } from 'node:crypto';
import { issuerFor } from '../aad/aad-router.js';
import { identityTypeName } from '../arm/identity-patch.js';
import type { ThrottleOptions } from '../arm/request-budget.js';
import type { EmulatorContext, LatencySettings, PatchLogEntry } from '../emulator-context.js';
import type { FaultSpec } from '../fault-injector.js';
import type { ImdsEndpoint, ImdsListeners, ImdsListenOptions } from '../imds/imds-listeners.js';
import type {
  ComputeKind,
  ComputeRecord,
  ResourceGroupRecord,
  ServicePrincipalRecord,
  SubscriptionRecord,
  UserAssignedIdentityRecord,
} from '../state/azure-state.js';
import { type FederatedCredentialRecord, FederatedCredentialStore } from '../state/federated-credentials.js';
import { normalizeResourceId } from '../state/resource-id.js';
import { certificateThumbprints } from '../tls/certificates.js';

export type FaultArea = 'arm' | 'aad' | 'imds';

export interface CreateComputeOptions {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  /** Enable the system-assigned identity at creation. */
  systemAssignedIdentity?: boolean;
  /** User-assigned identity resource IDs assigned at creation (they must exist). */
  userAssignedIdentities?: string[];
}

export interface CreateVirtualMachineOptions extends CreateComputeOptions {
  /** Node name of the VM (defaults to `name`). */
  nodeName?: string;
  /** Where its IMDS listens; `false` for no IMDS listener. */
  imds?: ImdsListenOptions | false;
}

export interface CreateScaleSetOptions extends CreateComputeOptions {
  /** The instances (Kubernetes nodes); each gets its own IMDS listener unless `imds: false`. */
  instances: { nodeName: string; instanceId?: string; imds?: ImdsListenOptions | false }[];
}

export interface CreatedCompute {
  id: string;
  /** IMDS endpoints, one per node (one for a VM, one per instance for a VMSS). */
  imds: ImdsEndpoint[];
}

/** A VM's / VMSS's identity state as an identity controller would see it. */
export interface IdentityState {
  type: 'None' | 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned';
  systemAssigned: { principalId: string; clientId: string; tenantId: string } | undefined;
  /** Assigned user identity IDs, spelled as they were first assigned. */
  userAssignedIdentities: string[];
  provisioningState: string;
}

export class AdminError extends Error {
  constructor(
    readonly code: 'NotFound' | 'AlreadyExists' | 'InvalidArgument',
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/**
 * Everything a test or the sandbox does to the emulated Azure from the outside: create the world, look at
 * it, and make it misbehave.
 */
export class EmulatorAdmin {
  constructor(
    private readonly ctx: EmulatorContext,
    private readonly imds: ImdsListeners,
  ) {}

  createSubscription(options: { subscriptionId?: string; tenantId?: string } = {}): SubscriptionRecord {
    return this.ctx.state.addSubscription(options.subscriptionId ?? randomUUID(), options.tenantId ?? randomUUID());
  }

  createResourceGroup(options: { subscriptionId: string; name: string; location?: string }): ResourceGroupRecord {
    return this.guard(() =>
      this.ctx.state.addResourceGroup(options.subscriptionId, options.name, options.location ?? 'westus2'),
    );
  }

  createUserAssignedIdentity(options: {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    clientId?: string;
    principalId?: string;
    location?: string;
  }): UserAssignedIdentityRecord {
    const { subscriptionId, resourceGroup, name, ...fields } = options;
    return this.guard(() => this.ctx.state.addUserAssignedIdentity(subscriptionId, resourceGroup, name, fields));
  }

  /** Registers an app/service principal that can get tokens with a secret and/or a certificate. */
  createServicePrincipal(options: {
    tenantId: string;
    clientId?: string;
    objectId?: string;
    displayName?: string;
    secret?: string;
    certificatePem?: string;
  }): ServicePrincipalRecord {
    const certificates = options.certificatePem
      ? [
          (() => {
            const { sha1, sha256 } = certificateThumbprints(options.certificatePem);
            return {
              certificatePem: options.certificatePem,
              x5t: sha1.toString('base64url'),
              x5tS256: sha256.toString('base64url'),
            };
          })(),
        ]
      : [];
    const clientId = options.clientId ?? randomUUID();
    return this.ctx.state.addServicePrincipal({
      tenantId: options.tenantId,
      clientId,
      objectId: options.objectId ?? randomUUID(),
      displayName: options.displayName ?? `sp-${clientId.slice(0, 8)}`,
      secrets: options.secret !== undefined ? [options.secret] : [],
      certificates,
    });
  }

  async createVirtualMachine(options: CreateVirtualMachineOptions): Promise<CreatedCompute> {
    if (options.imds !== false) this.requireFreeNodeNames([options.nodeName ?? options.name]);
    const record = this.createCompute('virtualMachine', options);
    const imds =
      options.imds === false
        ? []
        : [
            await this.imds.open(
              { computeId: record.id, nodeName: options.nodeName ?? options.name, instanceId: undefined },
              options.imds,
            ),
          ];
    return { id: record.id, imds };
  }

  async createVirtualMachineScaleSet(options: CreateScaleSetOptions): Promise<CreatedCompute> {
    const instances = options.instances.map((instance, index) => ({
      nodeName: instance.nodeName,
      instanceId: instance.instanceId ?? String(index),
    }));
    this.requireFreeNodeNames(options.instances.filter((i) => i.imds !== false).map((i) => i.nodeName));
    const record = this.createCompute('virtualMachineScaleSet', options, instances);
    const imds: ImdsEndpoint[] = [];
    for (const [index, instance] of options.instances.entries()) {
      if (instance.imds === false) continue;
      imds.push(
        await this.imds.open(
          { computeId: record.id, nodeName: instance.nodeName, instanceId: instances[index]!.instanceId },
          instance.imds,
        ),
      );
    }
    return { id: record.id, imds };
  }

  /** The IMDS endpoint of a node. */
  /**
   * Adds (or updates) a federated identity credential, on a user-assigned identity (`identityId`, as ARM's PUT does)
   * or on an app registration (`tenantId` + `clientId` of a service principal), with Azure's limits.
   */
  addFederatedCredential(
    owner: { identityId: string } | { tenantId: string; clientId: string },
    credential: { name: string; issuer: string; subject: string; audiences?: string[] },
  ): FederatedCredentialRecord {
    let ownerKey: string;
    let id: string;
    if ('identityId' in owner) {
      const identity = this.ctx.state.getUserAssignedIdentity(owner.identityId);
      if (!identity) throw new AdminError('NotFound', `identity ${owner.identityId} does not exist`);
      ownerKey = FederatedCredentialStore.identityOwner(identity.id);
      id = `${identity.id}/federatedIdentityCredentials/${credential.name}`;
    } else {
      if (!this.ctx.state.getServicePrincipal(owner.tenantId, owner.clientId)) {
        throw new AdminError('NotFound', `service principal ${owner.clientId} does not exist in ${owner.tenantId}`);
      }
      ownerKey = FederatedCredentialStore.appOwner(owner.tenantId, owner.clientId);
      id = `${owner.tenantId}/${owner.clientId}/${credential.name}`;
    }
    const result = this.ctx.state.federatedCredentials.put(ownerKey, id, credential.name, {
      issuer: credential.issuer,
      subject: credential.subject,
      audiences: credential.audiences ?? ['api://AzureADTokenExchange'],
    });
    if (!result.ok) throw new AdminError('InvalidArgument', `federated credential refused: ${result.problem.kind}`);
    return result.record;
  }

  /** The federated credentials of a user-assigned identity, in creation order. */
  federatedCredentials(identityId: string): FederatedCredentialRecord[] {
    return this.ctx.state.federatedCredentials.list(FederatedCredentialStore.identityOwner(identityId));
  }

  imdsEndpoint(nodeName: string): ImdsEndpoint | undefined {
    return this.imds.get(nodeName);
  }

  /** Sets e.g. `Deleting` (ARM then refuses PATCH) or back to `Succeeded`. */
  setProvisioningState(resourceId: string, provisioningState: string): void {
    this.requireCompute(resourceId).provisioningState = provisioningState;
  }

  identityState(resourceId: string): IdentityState {
    const record = this.requireCompute(resourceId);
    const system = record.identity.systemAssigned;
    return {
      type: identityTypeName(record.identity),
      systemAssigned: system ? { ...system } : undefined,
      userAssignedIdentities: [...record.identity.userAssigned.values()].map((entry) => entry.id),
      provisioningState: record.provisioningState,
    };
  }

  /** Makes ARM answer LinkedAuthorizationFailed whenever this identity is assigned (caller lacks assign/action). */
  denyIdentityAssignment(identityId: string): void {
    this.ctx.state.assignDenied.add(identityId.toLowerCase());
  }

  setLatency(latency: Partial<LatencySettings>): void {
    Object.assign(this.ctx.latency, latency);
  }

  /** Subscription read/write budgets per window; `{}` turns throttling off. Resets the current windows. */
  setThrottle(limits: ThrottleOptions): void {
    this.ctx.budget.configure(limits);
  }

  injectFault(area: FaultArea, kind: string, spec: FaultSpec): void {
    this.faults(area).inject(kind, spec);
  }

  clearFaults(area?: FaultArea, kind?: string): void {
    for (const a of area ? [area] : (['arm', 'aad', 'imds'] as const)) this.faults(a).clear(kind);
  }

  /** Requests received per operation kind (`vm_get`, `vm_update`, `vmss_get`, `vmss_update`, `identity_get`, ...). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.ctx.requestCounts);
  }

  /** Every VM/VMSS PATCH received, in arrival order. */
  patchLog(): PatchLogEntry[] {
    return this.ctx.patchLog.map((entry) => ({ ...entry }));
  }

  resetCounters(): void {
    this.ctx.requestCounts.clear();
    this.ctx.patchLog.length = 0;
  }

  /** Signs an access token as the emulated AAD would issue it to this service principal (for raw HTTP tests). */
  issueAccessToken(options: {
    tenantId: string;
    clientId: string;
    audience?: string;
    lifetimeSeconds?: number;
  }): string {
    const sp = this.ctx.state.getServicePrincipal(options.tenantId, options.clientId);
    if (!sp)
      throw new AdminError('NotFound', `service principal ${options.clientId} in ${options.tenantId} does not exist`);
    return this.ctx.signer.sign(
      {
        aud: options.audience ?? 'https://management.azure.com',
        iss: issuerFor(this.ctx.urls.aad, sp.tenantId),
        tid: sp.tenantId,
        appid: sp.clientId,
        oid: sp.objectId,
        sub: sp.objectId,
        idtyp: 'app',
        ver: '2.0',
      },
      options.lifetimeSeconds ?? this.ctx.tokenLifetimeSeconds,
    ).token;
  }

  private createCompute(
    kind: ComputeKind,
    options: CreateComputeOptions,
    instances: { nodeName: string; instanceId: string }[] = [],
  ): ComputeRecord {
    // Resolve the identities first so an unknown one leaves nothing half-created.
    const assigned = (options.userAssignedIdentities ?? []).map((id) => {
      const identity = this.ctx.state.getUserAssignedIdentity(id);
      if (!identity) throw new AdminError('NotFound', `user-assigned identity ${id} does not exist`);
      return { id, clientId: identity.clientId, principalId: identity.principalId, tenantId: identity.tenantId };
    });
    const record = this.guard(() =>
      this.ctx.state.addCompute(kind, options.subscriptionId, options.resourceGroup, options.name, {
        ...(options.location ? { location: options.location } : {}),
        instances,
      }),
    );
    const tenantId = this.ctx.state.getSubscription(options.subscriptionId)!.tenantId;
    if (options.systemAssignedIdentity) {
      record.identity.systemAssigned = { principalId: randomUUID(), clientId: randomUUID(), tenantId };
    }
    for (const entry of assigned) record.identity.userAssigned.set(normalizeResourceId(entry.id), entry);
    return record;
  }

  /** Each node has one IMDS listener; checked before anything is created so a failure leaves no half-made VM. */
  private requireFreeNodeNames(nodeNames: string[]): void {
    const seen = new Set<string>();
    for (const name of nodeNames) {
      if (seen.has(name) || this.imds.get(name)) {
        throw new AdminError('AlreadyExists', `a node named ${name} already has an IMDS listener`);
      }
      seen.add(name);
    }
  }

  private requireCompute(resourceId: string): ComputeRecord {
    const record = this.ctx.state.getCompute(resourceId);
    if (!record) throw new AdminError('NotFound', `${resourceId} does not exist`);
    return record;
  }

  private faults(area: FaultArea) {
    return area === 'arm' ? this.ctx.armFaults : area === 'aad' ? this.ctx.aadFaults : this.ctx.imdsFaults;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
        throw new AdminError(error.code as AdminError['code'], error.message);
      }
      throw error;
    }
  }
}

import { randomUUID } from 'node:crypto';
import { FederatedCredentialStore } from './federated-credentials.js';
import {
  normalizeResourceId,
  type ParsedIdentityId,
  resourceGroupId,
  scaleSetId,
  userAssignedIdentityId,
  virtualMachineId,
} from './resource-id.js';

/** The emulator's whole Azure world: subscriptions, resource groups, compute, identities, service principals. */

export interface SubscriptionRecord {
  subscriptionId: string;
  tenantId: string;
}

export interface ResourceGroupRecord {
  subscriptionId: string;
  name: string;
  location: string;
}

export interface UserAssignedIdentityRecord {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  clientId: string;
  principalId: string;
  tenantId: string;
}

export interface SystemAssignedIdentity {
  principalId: string;
  tenantId: string;
  /** The application (client) ID of the system identity's service principal; ARM does not show it, IMDS does. */
  clientId: string;
}

export interface AssignedUserIdentity {
  /** The resource ID as the caller first spelled it. */
  id: string;
  clientId: string;
  principalId: string;
  tenantId: string;
}

/** Identity block of a VM or VMSS. Map keys are normalized IDs; values keep the caller's spelling. */
export interface ComputeIdentity {
  systemAssigned: SystemAssignedIdentity | undefined;
  userAssigned: Map<string, AssignedUserIdentity>;
}

export type ComputeKind = 'virtualMachine' | 'virtualMachineScaleSet';

export interface ScaleSetInstance {
  instanceId: string;
  /** The Kubernetes node name (computer name) of this instance. */
  nodeName: string;
}

export interface ComputeRecord {
  kind: ComputeKind;
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** vmId for VMs, uniqueId for scale sets. */
  uniqueId: string;
  provisioningState: string;
  identity: ComputeIdentity;
  instances: ScaleSetInstance[];
}

export interface ServicePrincipalCertificate {
  certificatePem: string;
  /** Base64url SHA-1 of the DER certificate, as in a JWT `x5t` header. */
  x5t: string;
  /** Base64url SHA-256 of the DER certificate, as in a JWT `x5t#S256` header. */
  x5tS256: string;
}

export interface ServicePrincipalRecord {
  tenantId: string;
  clientId: string;
  objectId: string;
  displayName: string;
  secrets: string[];
  certificates: ServicePrincipalCertificate[];
}

export class StateError extends Error {
  constructor(
    readonly code: 'NotFound' | 'AlreadyExists' | 'InvalidArgument',
    message: string,
  ) {
    super(message);
    this.name = 'StateError';
  }
}

export function emptyIdentity(): ComputeIdentity {
  return { systemAssigned: undefined, userAssigned: new Map() };
}

export class AzureState {
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly resourceGroups = new Map<string, ResourceGroupRecord>();
  readonly identities = new Map<string, UserAssignedIdentityRecord>();
  readonly compute = new Map<string, ComputeRecord>();
  readonly servicePrincipals = new Map<string, ServicePrincipalRecord>();
  /** Identity IDs whose `assign/action` the ARM caller is denied (answered with LinkedAuthorizationFailed). */
  readonly assignDenied = new Set<string>();
  /** Federated identity credentials of user-assigned identities (ARM) and app registrations (seeded). */
  readonly federatedCredentials = new FederatedCredentialStore();

  addSubscription(subscriptionId: string, tenantId: string): SubscriptionRecord {
    const record = { subscriptionId, tenantId };
    this.subscriptions.set(subscriptionId.toLowerCase(), record);
    return record;
  }

  getSubscription(subscriptionId: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  addResourceGroup(subscriptionId: string, name: string, location: string): ResourceGroupRecord {
    this.requireSubscription(subscriptionId);
    const record = { subscriptionId, name, location };
    this.resourceGroups.set(normalizeResourceId(resourceGroupId({ subscriptionId, resourceGroup: name })), record);
    return record;
  }

  getResourceGroup(subscriptionId: string, name: string): ResourceGroupRecord | undefined {
    return this.resourceGroups.get(normalizeResourceId(resourceGroupId({ subscriptionId, resourceGroup: name })));
  }

  addUserAssignedIdentity(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    fields: { location?: string; clientId?: string; principalId?: string } = {},
  ): UserAssignedIdentityRecord {
    const rg = this.requireResourceGroup(subscriptionId, resourceGroup);
    const id = userAssignedIdentityId({ subscriptionId, resourceGroup: rg.name }, name);
    const existing = this.identities.get(normalizeResourceId(id));
    const record: UserAssignedIdentityRecord = {
      id,
      name,
      subscriptionId,
      resourceGroup: rg.name,
      location: fields.location ?? existing?.location ?? rg.location,
      clientId: fields.clientId ?? existing?.clientId ?? randomUUID(),
      principalId: fields.principalId ?? existing?.principalId ?? randomUUID(),
      tenantId: this.requireSubscription(subscriptionId).tenantId,
    };
    this.identities.set(normalizeResourceId(id), record);
    return record;
  }

  getUserAssignedIdentity(id: string): UserAssignedIdentityRecord | undefined {
    return this.identities.get(normalizeResourceId(id));
  }

  /** The user-assigned identity whose client ID this is in that tenant (AAD knows identities by client ID). */
  findUserAssignedIdentityByClientId(tenantId: string, clientId: string): UserAssignedIdentityRecord | undefined {
    const tenant = tenantId.toLowerCase();
    const client = clientId.toLowerCase();
    for (const record of this.identities.values()) {
      if (record.clientId.toLowerCase() === client && record.tenantId.toLowerCase() === tenant) return record;
    }
    return undefined;
  }

  addCompute(
    kind: ComputeKind,
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    options: { location?: string; instances?: ScaleSetInstance[] } = {},
  ): ComputeRecord {
    const rg = this.requireResourceGroup(subscriptionId, resourceGroup);
    const scope = { subscriptionId, resourceGroup: rg.name };
    const id = kind === 'virtualMachine' ? virtualMachineId(scope, name) : scaleSetId(scope, name);
    if (this.compute.has(normalizeResourceId(id))) throw new StateError('AlreadyExists', `${id} already exists`);
    const record: ComputeRecord = {
      kind,
      id,
      name,
      subscriptionId,
      resourceGroup: rg.name,
      location: options.location ?? rg.location,
      uniqueId: randomUUID(),
      provisioningState: 'Succeeded',
      identity: emptyIdentity(),
      instances: options.instances ?? [],
    };
    this.compute.set(normalizeResourceId(id), record);
    return record;
  }

  getCompute(id: string): ComputeRecord | undefined {
    return this.compute.get(normalizeResourceId(id));
  }

  requireCompute(id: string): ComputeRecord {
    const record = this.getCompute(id);
    if (!record) throw new StateError('NotFound', `${id} does not exist`);
    return record;
  }

  addServicePrincipal(record: ServicePrincipalRecord): ServicePrincipalRecord {
    this.servicePrincipals.set(`${record.tenantId.toLowerCase()}/${record.clientId.toLowerCase()}`, record);
    return record;
  }

  getServicePrincipal(tenantId: string, clientId: string): ServicePrincipalRecord | undefined {
    return this.servicePrincipals.get(`${tenantId.toLowerCase()}/${clientId.toLowerCase()}`);
  }

  hasTenant(tenantId: string): boolean {
    const wanted = tenantId.toLowerCase();
    for (const sub of this.subscriptions.values()) if (sub.tenantId.toLowerCase() === wanted) return true;
    for (const sp of this.servicePrincipals.values()) if (sp.tenantId.toLowerCase() === wanted) return true;
    return false;
  }

  /** Is the scope of a referenced identity one the emulator knows (subscription and resource group exist)? */
  identityScopeExists(parsed: ParsedIdentityId): boolean {
    return this.getResourceGroup(parsed.subscriptionId, parsed.resourceGroup) !== undefined;
  }

  private requireSubscription(subscriptionId: string): SubscriptionRecord {
    const sub = this.getSubscription(subscriptionId);
    if (!sub) throw new StateError('NotFound', `subscription ${subscriptionId} does not exist`);
    return sub;
  }

  private requireResourceGroup(subscriptionId: string, name: string): ResourceGroupRecord {
    this.requireSubscription(subscriptionId);
    const rg = this.getResourceGroup(subscriptionId, name);
    if (!rg) throw new StateError('NotFound', `resource group ${subscriptionId}/${name} does not exist`);
    return rg;
  }
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenClaims } from '../aad/token-signer.js';
import { countRequest, type EmulatorContext, type PatchLogEntry } from '../emulator-context.js';
import { BodyTooLargeError, readBody, sendJson } from '../http/json-response.js';
import type { ComputeKind, ComputeRecord } from '../state/azure-state.js';
import { parseUserAssignedIdentityId, scaleSetId, virtualMachineId } from '../state/resource-id.js';
import { authenticateArmRequest } from './arm-authentication.js';
import { ArmError } from './arm-error.js';
import { applyIdentityPatch, type IdentityLookupResult } from './identity-patch.js';
import { type FederatedCredentialRoute, handleFederatedCredential } from './federated-credential-resources.js';
import { getUserAssignedIdentity, putUserAssignedIdentity } from './identity-resources.js';
import { computeToJson } from './resource-json.js';
import { listSubscriptions } from './subscription-list.js';
import type { UpdateOperations } from './update-operations.js';

/** Operation kinds, named like upstream's `cloud_provider_operations_*` metric labels where one exists. */
export type ArmOperationKind =
  | 'vm_get'
  | 'vm_update'
  | 'vmss_get'
  | 'vmss_update'
  | 'identity_get'
  | 'identity_put'
  | 'federated_credential_get'
  | 'federated_credential_put'
  | 'federated_credential_delete'
  | 'operation_get'
  | 'subscription_list'
  | 'unknown';

const API_VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

type Route =
  | { type: 'compute'; kind: ComputeKind; subscriptionId: string; resourceGroup: string; name: string }
  | { type: 'identity'; subscriptionId: string; resourceGroup: string; name: string }
  | ({ type: 'federatedCredential' } & FederatedCredentialRoute)
  | { type: 'operationStatus'; subscriptionId: string; operationId: string }
  | { type: 'operationResult'; subscriptionId: string; operationId: string }
  | { type: 'subscriptionList'; subscriptionId?: undefined }
  | { type: 'unknown'; subscriptionId: string | undefined };

const RESOURCE_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/(microsoft\.compute\/virtualmachines|microsoft\.compute\/virtualmachinescalesets|microsoft\.managedidentity\/userassignedidentities)\/([^/]+)\/?$/i;
const FEDERATED_CREDENTIAL_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)\/federatedidentitycredentials(?:\/([^/]+))?\/?$/i;
const OPERATION_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/[^/]+\/(operations|operationresults)\/([^/]+)\/?$/i;
const SUBSCRIPTION_PREFIX = /^\/subscriptions\/([^/]+)/i;
const SUBSCRIPTION_LIST = /^\/subscriptions\/?$/i;

function route(pathname: string): Route {
  if (SUBSCRIPTION_LIST.test(pathname)) return { type: 'subscriptionList' };
  const resource = RESOURCE_PATH.exec(pathname);
  if (resource) {
    const [, subscriptionId, resourceGroup, type, name] = resource as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const lowered = type.toLowerCase();
    if (lowered.endsWith('userassignedidentities')) return { type: 'identity', subscriptionId, resourceGroup, name };
    const kind: ComputeKind = lowered.endsWith('virtualmachines') ? 'virtualMachine' : 'virtualMachineScaleSet';
    return { type: 'compute', kind, subscriptionId, resourceGroup, name };
  }
  const fic = FEDERATED_CREDENTIAL_PATH.exec(pathname);
  if (fic) {
    return {
      type: 'federatedCredential',
      subscriptionId: fic[1]!,
      resourceGroup: fic[2]!,
      name: fic[3]!,
      credential: fic[4] === undefined ? undefined : decodeURIComponent(fic[4]),
    };
  }
  const operation = OPERATION_PATH.exec(pathname);
  if (operation) {
    const type = operation[2]!.toLowerCase() === 'operations' ? 'operationStatus' : 'operationResult';
    return { type, subscriptionId: operation[1]!, operationId: operation[3]! };
  }
  return { type: 'unknown', subscriptionId: SUBSCRIPTION_PREFIX.exec(pathname)?.[1] };
}

function operationKind(r: Route, method: string): ArmOperationKind {
  const write = method !== 'GET';
  switch (r.type) {
    case 'compute':
      return r.kind === 'virtualMachine' ? (write ? 'vm_update' : 'vm_get') : write ? 'vmss_update' : 'vmss_get';
    case 'identity':
      return write ? 'identity_put' : 'identity_get';
    case 'federatedCredential':
      return method === 'DELETE'
        ? 'federated_credential_delete'
        : write
          ? 'federated_credential_put'
          : 'federated_credential_get';
    case 'operationStatus':
    case 'operationResult':
      return 'operation_get';
    case 'subscriptionList':
      return 'subscription_list';
    default:
      return 'unknown';
  }
}

function faultError(status: number, retryAfterSeconds: number, message?: string): ArmError {
  if (message !== undefined) {
    const code = status === 429 ? 'TooManyRequests' : status >= 500 ? 'InternalServerError' : 'BadRequest';
    const headers: Record<string, string> =
      status === 429 || status === 503 ? { 'Retry-After': String(retryAfterSeconds) } : {};
    return new ArmError(status, code, message, headers);
  }
  if (status === 429) {
    return new ArmError(
      429,
      'TooManyRequests',
      `The request is being throttled. Retry after ${retryAfterSeconds} seconds.`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
  if (status === 503) {
    return new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.', {
      'Retry-After': String(retryAfterSeconds),
    });
  }
  if (status >= 500) {
    return new ArmError(
      status,
      'InternalServerError',
      'An unexpected error occurred while processing the request. Please retry the request.',
    );
  }
  return new ArmError(status, 'BadRequest', 'The request was rejected (injected fault).');
}

/**
 * The emulated Azure Resource Manager: Microsoft.Compute VMs/VMSSs (GET, identity PATCH as a long-running
 * operation) and Microsoft.ManagedIdentity userAssignedIdentities (GET, PUT).
 */
export class ArmRouter {
  constructor(
    private readonly ctx: EmulatorContext,
    private readonly operations: UpdateOperations,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let patchEntry: PatchLogEntry | undefined;
    const requestId = randomUUID();
    const baseHeaders = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId };
    try {
      const url = parseArmUrl(req.url, this.ctx.urls.arm);
      const r = route(url.pathname);
      const kind = operationKind(r, method);
      countRequest(this.ctx, kind);
      // Read the body first so a PATCH is logged even when it is rejected.
      const rawBody = method === 'PATCH' || method === 'PUT' ? await readBody(req) : '';
      if (kind === 'vm_update' || kind === 'vmss_update') {
        patchEntry = {
          at: this.ctx.now(),
          kind,
          resourceId: url.pathname,
          body: parseJsonOrRaw(rawBody),
          status: 0,
        };
        this.ctx.patchLog.push(patchEntry);
      }
      const caller = authenticateArmRequest(this.ctx, req);
      const budgetHeaders = this.spendBudget(r.subscriptionId ?? '', method);
      const fault = this.ctx.armFaults.take(kind);
      if (fault) throw faultError(fault.status, fault.retryAfterSeconds, fault.message);
      this.requireApiVersion(url);
      const result = await this.dispatch(r, method, url, rawBody, caller);
      if (patchEntry) patchEntry.status = result.status;
      sendJson(res, result.status, result.body, { ...baseHeaders, ...budgetHeaders, ...result.headers });
    } catch (error) {
      const armError =
        error instanceof ArmError
          ? error
          : error instanceof BodyTooLargeError
            ? new ArmError(413, 'RequestEntityTooLarge', error.message)
            : new ArmError(500, 'InternalServerError', 'An unexpected error occurred while processing the request.');
      if (patchEntry) patchEntry.status = armError.status;
      sendJson(res, armError.status, armError.toBody(), { ...baseHeaders, ...armError.headers });
    }
  }

  private spendBudget(subscriptionId: string, method: string): Record<string, string> {
    const requestClass = method === 'GET' ? 'reads' : 'writes';
    const decision = this.ctx.budget.spend(subscriptionId, requestClass);
    const verb = requestClass === 'reads' ? 'read' : 'write';
    if (!decision.allowed) {
      throw new ArmError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${verb}' requests for subscription '${subscriptionId}' actually exceeded the limit for the current time interval. Please try again after '${decision.retryAfterSeconds}' seconds.`,
        { 'Retry-After': String(decision.retryAfterSeconds) },
      );
    }
    if (!Number.isFinite(decision.remaining)) return {};
    return { [`x-ms-ratelimit-remaining-subscription-${requestClass}`]: String(decision.remaining) };
  }

  private requireApiVersion(url: URL): void {
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!API_VERSION_PATTERN.test(apiVersion)) {
      throw new ArmError(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are dates formatted as 'yyyy-mm-dd' or 'yyyy-mm-dd-preview'.`,
      );
    }
  }

  private requireScope(subscriptionId: string, caller: AccessTokenClaims, resourceGroup?: string): void {
    const subscription = this.ctx.state.getSubscription(subscriptionId);
    if (!subscription) {
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    }
    if (String(caller.tid).toLowerCase() !== subscription.tenantId.toLowerCase()) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${caller.iss}'. It must match the tenant '${this.ctx.urls.aad}/${subscription.tenantId}/' associated with this subscription.`,
      );
    }
    if (resourceGroup !== undefined && !this.ctx.state.getResourceGroup(subscriptionId, resourceGroup)) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
    }
  }

  private async dispatch(
    r: Route,
    method: string,
    url: URL,
    rawBody: string,
    caller: AccessTokenClaims,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    if (r.type === 'unknown') {
      if (r.subscriptionId) this.requireScope(r.subscriptionId, caller);
      throw new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${url.pathname}'.`);
    }
    if (r.type === 'subscriptionList') {
      if (method !== 'GET') throw methodNotAllowed(method);
      return listSubscriptions(this.ctx, caller);
    }
    if (r.type === 'operationStatus' || r.type === 'operationResult') {
      this.requireScope(r.subscriptionId, caller);
      if (method !== 'GET') throw methodNotAllowed(method);
      return this.getOperation(r.type, r.operationId, url);
    }
    this.requireScope(r.subscriptionId, caller, r.resourceGroup);
    if (r.type === 'identity') {
      if (method === 'GET') return getUserAssignedIdentity(this.ctx, r);
      if (method === 'PUT') return putUserAssignedIdentity(this.ctx, r, parseJsonBody(rawBody));
      throw methodNotAllowed(method);
    }
    if (r.type === 'federatedCredential') {
      return handleFederatedCredential(this.ctx, r, method, url, () => parseJsonBody(rawBody));
    }
    const scope = { subscriptionId: r.subscriptionId, resourceGroup: r.resourceGroup };
    const id = r.kind === 'virtualMachine' ? virtualMachineId(scope, r.name) : scaleSetId(scope, r.name);
    const resource = this.ctx.state.getCompute(id);
    if (!resource) {
      const type = r.kind === 'virtualMachine' ? 'virtualMachines' : 'virtualMachineScaleSets';
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Compute/${type}/${r.name}' under resource group '${r.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    if (method === 'GET') return { status: 200, body: computeToJson(resource) };
    if (method === 'PATCH') return this.patchCompute(resource, rawBody, url, caller);
    throw methodNotAllowed(method);
  }

  private patchCompute(resource: ComputeRecord, rawBody: string, url: URL, caller: AccessTokenClaims) {
    const body = parseJsonBody(rawBody);
    const noun = resource.kind === 'virtualMachine' ? 'VM' : 'Virtual Machine Scale Set';
    if (resource.provisioningState.toLowerCase() === 'deleting') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Operation 'Update ${noun}' is not allowed on ${noun} '${resource.name}' since it is marked for deletion.`,
      );
    }
    if (this.ctx.concurrentUpdates === 'reject' && this.operations.inFlight(resource)) {
      throw new ArmError(
        409,
        'Conflict',
        `The request failed due to a conflict with a concurrent request on ${noun} '${resource.name}': another update is still in progress.`,
      );
    }
    // Applied to the in-flight target, so queued updates compose.
    const target = applyIdentityPatch(resource, this.operations.projectedIdentity(resource), body['identity'], {
      lookup: (id) => this.lookupIdentity(id),
      newSystemIdentity: () => ({
        principalId: randomUUID(),
        clientId: randomUUID(),
        tenantId: this.ctx.state.getSubscription(resource.subscriptionId)!.tenantId,
      }),
      caller: { appId: String(caller.appid), objectId: String(caller.oid) },
    });
    const latency =
      resource.kind === 'virtualMachine' ? this.ctx.latency.virtualMachineUpdateMs : this.ctx.latency.scaleSetUpdateMs;
    const op = this.operations.start(resource, target, latency);
    const apiVersion = url.searchParams.get('api-version')!;
    const operationsBase = `${this.ctx.urls.arm}/subscriptions/${resource.subscriptionId}/providers/Microsoft.Compute/locations/${resource.location}`;
    return {
      status: 200,
      body: computeToJson(resource, { identity: target, provisioningState: 'Updating' }),
      headers: {
        'Azure-AsyncOperation': `${operationsBase}/operations/${op.id}?api-version=${apiVersion}`,
        Location: `${operationsBase}/operationResults/${op.id}?monitor=true&api-version=${apiVersion}`,
        'Azure-AsyncNotification': 'Enabled',
      },
    };
  }

  private lookupIdentity(id: string): IdentityLookupResult {
    const parsed = parseUserAssignedIdentityId(id);
    if (!parsed || !this.ctx.state.identityScopeExists(parsed)) return { kind: 'linkedScopeDenied' };
    if (this.ctx.state.assignDenied.has(id.toLowerCase())) return { kind: 'linkedScopeDenied' };
    const record = this.ctx.state.getUserAssignedIdentity(id);
    if (!record) return { kind: 'notFound' };
    return { kind: 'found', clientId: record.clientId, principalId: record.principalId, tenantId: record.tenantId };
  }

  private getOperation(type: 'operationStatus' | 'operationResult', operationId: string, url: URL) {
    const op = this.operations.get(operationId);
    if (!op) {
      throw new ArmError(404, 'NotFound', `The operation '${operationId}' could not be found.`);
    }
    if (type === 'operationStatus') {
      return {
        status: 200,
        body: {
          name: op.id,
          status: op.status,
          startTime: new Date(op.startTime).toISOString(),
          ...(op.endTime !== undefined ? { endTime: new Date(op.endTime).toISOString() } : {}),
        },
      };
    }
    // The Location (operation result) resource: 202 while running, then the updated resource.
    if (op.status === 'InProgress') return { status: 202, body: {}, headers: { Location: url.toString() } };
    return { status: 200, body: computeToJson(op.resource) };
  }
}

function parseArmUrl(target: string | undefined, base: string): URL {
  try {
    return new URL(target ?? '/', base);
  } catch {
    throw new ArmError(400, 'InvalidRequestUri', `The request URI '${String(target)}' is invalid.`);
  }
}

function methodNotAllowed(method: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
}

function parseJsonOrRaw(raw: string): unknown {
  try {
    return raw.length === 0 ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    return raw;
  }
}

/** Parses a request body as a JSON object, answering ARM's InvalidRequestContent otherwise. */
export function parseJsonBody(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid: a JSON object is required.');
  }
  return parsed as Record<string, unknown>;
}

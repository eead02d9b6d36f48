import type { IncomingMessage, ServerResponse } from 'node:http';
import { issuerFor } from '../aad/aad-router.js';
import { countRequest, type EmulatorContext } from '../emulator-context.js';
import { sendJson } from '../http/json-response.js';
import type { ComputeRecord } from '../state/azure-state.js';
import { normalizeResourceId } from '../state/resource-id.js';
import { instanceMetadata } from './instance-metadata.js';

/** What one IMDS listener stands for: a VM, or one instance (node) of a VMSS. */
export interface ImdsTarget {
  /** Resource ID of the VM or VMSS whose identities this endpoint serves. */
  computeId: string;
  /** The node (computer) name. */
  nodeName: string;
  /** VMSS instance ID; undefined for a VM. */
  instanceId: string | undefined;
}

const TOKEN_PATH = /^\/metadata\/identity\/oauth2\/token\/?$/;
const INSTANCE_PATH = /^\/metadata\/instance\/?$/;
const SELECTORS = ['client_id', 'object_id', 'msi_res_id', 'mi_res_id'] as const;

type SelectedIdentity = { clientId: string; principalId: string; tenantId: string; miResourceId: string };

function imdsError(res: ServerResponse, status: number, error: string, description: string, headers = {}): void {
  sendJson(res, status, { error, error_description: description }, headers, 'application/json; charset=utf-8');
}

/**
 * The Instance Metadata Service as one VM sees it: managed-identity tokens for the identities currently
 * assigned to that VM (or its scale set) in the emulated ARM, and the instance document.
 */
export function createImdsHandler(ctx: EmulatorContext, target: ImdsTarget) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://169.254.169.254');
    const isToken = TOKEN_PATH.test(url.pathname);
    const isInstance = INSTANCE_PATH.test(url.pathname);
    if (!isToken && !isInstance) {
      countRequest(ctx, 'imds_other');
      sendJson(res, 404, { error: 'Not found' });
      return;
    }
    const kind = isToken ? 'imds_token' : 'imds_instance';
    countRequest(ctx, kind);
    if (ctx.latency.imdsMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.latency.imdsMs));
    const fault = ctx.imdsFaults.take(kind);
    if (fault) {
      const code = fault.status === 429 ? 'too_many_requests' : 'unknown_error';
      const headers =
        fault.status === 429 || fault.status === 503 ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      imdsError(res, fault.status, code, 'The request failed (injected fault).', headers);
      return;
    }
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') {
      imdsError(res, 405, 'invalid_request', 'The requested method is not supported.');
      return;
    }
    if (String(req.headers['metadata'] ?? '').toLowerCase() !== 'true') {
      imdsError(res, 400, 'invalid_request', 'Required metadata header not specified');
      return;
    }
    if (!url.searchParams.get('api-version')) {
      imdsError(res, 400, 'invalid_request', 'Required query variable api-version is missing');
      return;
    }
    const resource = ctx.state.getCompute(target.computeId);
    if (!resource) {
      imdsError(res, 400, 'invalid_request', 'Identity not found');
      return;
    }
    if (isInstance) {
      sendJson(res, 200, instanceMetadata(resource, target), {}, 'application/json; charset=utf-8');
      return;
    }
    const audience = url.searchParams.get('resource');
    if (!audience) {
      imdsError(res, 400, 'invalid_request', 'Required audience parameter not specified');
      return;
    }
    const given = SELECTORS.filter((name) => url.searchParams.get(name));
    if (given.length > 1) {
      imdsError(
        res,
        400,
        'invalid_request',
        'Only one of client_id, object_id, msi_res_id or mi_res_id may be specified',
      );
      return;
    }
    const selected = selectIdentity(resource, given[0], given[0] ? url.searchParams.get(given[0])! : undefined);
    if (!selected) {
      imdsError(res, 400, 'invalid_request', 'Identity not found');
      return;
    }
    const { token, claims } = ctx.signer.sign(
      {
        aud: audience,
        iss: issuerFor(ctx.urls.aad, selected.tenantId),
        tid: selected.tenantId,
        appid: selected.clientId,
        oid: selected.principalId,
        sub: selected.principalId,
        idtyp: 'app',
        ver: '1.0',
        xms_mirid: selected.miResourceId,
      },
      ctx.tokenLifetimeSeconds,
    );
    const expiresIn = String(claims.exp - Math.floor(ctx.now() / 1000));
    // Every value is a string and `resource` is echoed exactly: MSAL uses it as its cache key.
    sendJson(res, 200, {
      access_token: token,
      client_id: selected.clientId,
      expires_in: expiresIn,
      expires_on: String(claims.exp),
      ext_expires_in: expiresIn,
      not_before: String(claims.nbf),
      resource: audience,
      token_type: 'Bearer',
    });
  };
}

function selectIdentity(
  resource: ComputeRecord,
  selector: (typeof SELECTORS)[number] | undefined,
  value: string | undefined,
): SelectedIdentity | undefined {
  const tenantId = resource.identity.systemAssigned?.tenantId;
  if (selector === undefined || value === undefined) {
    const system = resource.identity.systemAssigned;
    if (!system) return undefined;
    return { ...system, miResourceId: resource.id };
  }
  const wanted = value.trim().toLowerCase();
  for (const [key, entry] of resource.identity.userAssigned) {
    const matches =
      (selector === 'client_id' && entry.clientId.toLowerCase() === wanted) ||
      (selector === 'object_id' && entry.principalId.toLowerCase() === wanted) ||
      ((selector === 'msi_res_id' || selector === 'mi_res_id') && key === normalizeResourceId(value));
    if (matches) {
      return {
        clientId: entry.clientId,
        principalId: entry.principalId,
        tenantId: tenantId ?? entry.tenantId,
        miResourceId: entry.id,
      };
    }
  }
  const system = resource.identity.systemAssigned;
  if (system && selector === 'object_id' && system.principalId.toLowerCase() === wanted) {
    return { ...system, miResourceId: resource.id };
  }
  if (system && selector === 'client_id' && system.clientId.toLowerCase() === wanted) {
    return { ...system, miResourceId: resource.id };
  }
  return undefined;
}

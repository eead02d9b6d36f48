import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http/json-response.js';
import type { EmulatorAdmin } from './emulator-admin.js';

/**
 * Admin methods reachable over HTTP as `POST /admin/<method>` with the method's options object as the JSON
 * body (e.g. `POST /admin/createVirtualMachine {"subscriptionId":...}`). Positional methods take an array.
 */
const METHODS = {
  createSubscription: (admin, arg) => admin.createSubscription(arg as never),
  createResourceGroup: (admin, arg) => admin.createResourceGroup(arg as never),
  createUserAssignedIdentity: (admin, arg) => admin.createUserAssignedIdentity(arg as never),
  createServicePrincipal: (admin, arg) => admin.createServicePrincipal(arg as never),
  createVirtualMachine: (admin, arg) => admin.createVirtualMachine(arg as never),
  createVirtualMachineScaleSet: (admin, arg) => admin.createVirtualMachineScaleSet(arg as never),
  setProvisioningState: (admin, arg) => {
    const { resourceId, provisioningState } = arg as { resourceId: string; provisioningState: string };
    admin.setProvisioningState(resourceId, provisioningState);
    return {};
  },
  identityState: (admin, arg) => admin.identityState((arg as { resourceId: string }).resourceId),
  denyIdentityAssignment: (admin, arg) => {
    admin.denyIdentityAssignment((arg as { identityId: string }).identityId);
    return {};
  },
  setLatency: (admin, arg) => {
    admin.setLatency(arg as never);
    return {};
  },
  setThrottle: (admin, arg) => {
    admin.setThrottle(arg as never);
    return {};
  },
  injectFault: (admin, arg) => {
    const { area, kind, ...spec } = arg as { area: 'arm' | 'aad' | 'imds'; kind: string; status: number };
    admin.injectFault(area, kind, spec);
    return {};
  },
  clearFaults: (admin, arg) => {
    const { area, kind } = (arg ?? {}) as { area?: 'arm' | 'aad' | 'imds'; kind?: string };
    admin.clearFaults(area, kind);
    return {};
  },
  requestCounts: (admin) => admin.requestCounts(),
  patchLog: (admin) => admin.patchLog(),
  resetCounters: (admin) => {
    admin.resetCounters();
    return {};
  },
  issueAccessToken: (admin, arg) => ({ accessToken: admin.issueAccessToken(arg as never) }),
} satisfies Record<string, (admin: EmulatorAdmin, arg: unknown) => unknown>;

export function createAdminHttpHandler(admin: EmulatorAdmin) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const match = /^\/admin\/([A-Za-z]+)$/.exec(url.pathname);
    const method = match
      ? (METHODS as Record<string, (admin: EmulatorAdmin, arg: unknown) => unknown>)[match[1]!]
      : undefined;
    if (!method) {
      sendJson(res, 404, { error: { code: 'NotFound', message: `no admin method at ${url.pathname}` } });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'admin methods are called with POST' } });
      return;
    }
    let arg: unknown;
    try {
      const text = await readBody(req);
      arg = text.trim().length === 0 ? {} : (JSON.parse(text) as unknown);
    } catch (error) {
      sendJson(res, 400, { error: { code: 'InvalidJson', message: (error as Error).message } });
      return;
    }
    try {
      sendJson(res, 200, (await method(admin, arg)) ?? {});
    } catch (error) {
      const code =
        error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'InvalidArgument';
      sendJson(res, 400, { error: { code, message: (error as Error).message } });
    }
  };
}

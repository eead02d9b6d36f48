import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AadRouter } from './aad/aad-router.js';
import { TokenSigner } from './aad/token-signer.js';
import { createAdminHttpHandler } from './admin/admin-http.js';
import { EmulatorAdmin } from './admin/emulator-admin.js';
import { ArmRouter } from './arm/arm-router.js';
import { RequestBudget, type ThrottleOptions } from './arm/request-budget.js';
import { UpdateOperations } from './arm/update-operations.js';
import type { ConcurrentUpdateMode, EmulatorContext, LatencySettings } from './emulator-context.js';
import { FaultInjector } from './fault-injector.js';
import { closeServer, hostPort, listen } from './http/listen.js';
import { type ImdsEndpoint, ImdsListeners } from './imds/imds-listeners.js';
import { AzureState } from './state/azure-state.js';
import { type EmulatorTls, generateEmulatorTls } from './tls/certificates.js';

export interface AzureEmulatorOptions {
  /** Address for the HTTPS (ARM, AAD) and admin listeners. Default `127.0.0.1`. */
  host?: string;
  /** ARM port; default 0 (ephemeral). */
  armPort?: number;
  /** AAD port; default 0 (ephemeral). */
  aadPort?: number;
  /** Plain-HTTP admin API port; `false` (default) for none. */
  adminPort?: number | false;
  /** Reuse a CA/server certificate (e.g. one written to disk for NODE_EXTRA_CA_CERTS); generated when absent. */
  tls?: EmulatorTls;
  /** Long-running-operation and IMDS latencies. Defaults: VM 20 ms, VMSS 20 ms, IMDS 0 ms. */
  latency?: Partial<LatencySettings>;
  /** Subscription read/write budgets; default unlimited. */
  throttle?: ThrottleOptions;
  /**
   * A PATCH on a VM/VMSS whose previous update is still running: `'reject'` (default, what ARM does: 409
   * `Conflict`) or `'queue'` (accepted and applied after the running one).
   */
  concurrentUpdates?: ConcurrentUpdateMode;
  /** Lifetime of issued tokens in seconds; default 3599 (AAD) — IMDS tokens use the same. */
  tokenLifetimeSeconds?: number;
  /** Clock in ms since epoch (token times, throttle windows, logs); default `Date.now`. */
  now?: () => number;
  /** Random source for rate-based faults; default `Math.random`. */
  random?: () => number;
}

export interface AzureEmulator {
  /** `https://host:port` of ARM: pass as `endpoint` to arm-compute / arm-msi. */
  armUrl: string;
  /** `https://host:port` of AAD, the authority host: authority is `${aadUrl}/${tenantId}`. */
  aadUrl: string;
  /** `http://host:port` of the admin API, when `adminPort` was given. */
  adminUrl: string | undefined;
  /** PEM of the CA that signed the HTTPS certificate. */
  caCertPem: string;
  /** The CA and server certificate (to reuse across restarts or hand to child processes). */
  tls: EmulatorTls;
  admin: EmulatorAdmin;
  /** IMDS endpoints of all emulated nodes. */
  imdsEndpoints(): ImdsEndpoint[];
  close(): Promise<void>;
}

function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch(() => {
      // Handlers answer their own errors; this only guards against a broken socket mid-response.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

/** Starts ARM (HTTPS), AAD (HTTPS) and, on demand, the admin API (HTTP); IMDS listeners come with VMs. */
export async function startAzureEmulator(options: AzureEmulatorOptions = {}): Promise<AzureEmulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  // Key generation runs on libuv's thread pool, so the CA/server keys and the token-signing key come in parallel.
  const [tls, signer] = await Promise.all([options.tls ?? generateEmulatorTls(), TokenSigner.create(now)]);
  const ctx: EmulatorContext = {
    state: new AzureState(),
    signer,
    now,
    armFaults: new FaultInjector(options.random),
    aadFaults: new FaultInjector(options.random),
    imdsFaults: new FaultInjector(options.random),
    budget: new RequestBudget(options.throttle ?? {}, now),
    latency: { virtualMachineUpdateMs: 20, scaleSetUpdateMs: 20, imdsMs: 0, ...options.latency },
    concurrentUpdates: options.concurrentUpdates ?? 'reject',
    requestCounts: new Map(),
    patchLog: [],
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    urls: { arm: '', aad: '' },
  };
  const operations = new UpdateOperations(now);
  const arm = new ArmRouter(ctx, operations);
  const aad = new AadRouter(ctx);
  const imds = new ImdsListeners(ctx);
  const admin = new EmulatorAdmin(ctx, imds);

  const tlsOptions = { key: tls.server.privateKeyPem, cert: tls.server.certificatePem };
  const armServer = createHttpsServer(
    tlsOptions,
    serve((req, res) => arm.handle(req, res)),
  );
  const aadServer = createHttpsServer(
    tlsOptions,
    serve((req, res) => aad.handle(req, res)),
  );
  const servers: Server[] = [armServer, aadServer];
  try {
    ctx.urls.arm = `https://${hostPort(host, await listen(armServer, host, options.armPort ?? 0))}`;
    ctx.urls.aad = `https://${hostPort(host, await listen(aadServer, host, options.aadPort ?? 0))}`;
    let adminUrl: string | undefined;
    if (options.adminPort !== undefined && options.adminPort !== false) {
      const adminServer = createHttpServer(serve(createAdminHttpHandler(admin)));
      servers.push(adminServer);
      adminUrl = `http://${hostPort(host, await listen(adminServer, host, options.adminPort))}`;
    }
    return {
      armUrl: ctx.urls.arm,
      aadUrl: ctx.urls.aad,
      adminUrl,
      caCertPem: tls.ca.certificatePem,
      tls,
      admin,
      imdsEndpoints: () => imds.list(),
      close: async () => {
        operations.close();
        await imds.close();
        await Promise.all(servers.map((server) => closeServer(server)));
      },
    };
  } catch (error) {
    operations.close();
    await Promise.all(servers.filter((s) => s.listening).map((server) => closeServer(server)));
    throw error;
  }
}

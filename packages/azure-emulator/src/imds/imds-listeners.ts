import { createServer, type Server } from 'node:http';
import type { EmulatorContext } from '../emulator-context.js';
import { closeServer, hostPort, listen } from '../http/listen.js';
import { createImdsHandler, type ImdsTarget } from './imds-handler.js';

/** Where a VM's (or VMSS instance's) IMDS listens. */
export interface ImdsEndpoint extends ImdsTarget {
  /** `http://host:port`, what `AZURE_POD_IDENTITY_AUTHORITY_HOST` should be set to. */
  url: string;
  host: string;
  port: number;
}

export interface ImdsListenOptions {
  /** Loopback address for this node's IMDS, e.g. `127.0.0.2`. Default `127.0.0.1`. */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
}

/**
 * One plain-HTTP listener per emulated node. The emulator knows which VM a request stands for by the
 * listener it arrived on, as real IMDS knows it by the host it runs on.
 */
export class ImdsListeners {
  private readonly byNode = new Map<string, { endpoint: ImdsEndpoint; server: Server }>();

  constructor(private readonly ctx: EmulatorContext) {}

  async open(target: ImdsTarget, options: ImdsListenOptions = {}): Promise<ImdsEndpoint> {
    if (this.byNode.has(target.nodeName))
      throw new Error(`an IMDS listener for node ${target.nodeName} already exists`);
    const handler = createImdsHandler(this.ctx, target);
    const server = createServer((req, res) => {
      handler(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    const host = options.host ?? '127.0.0.1';
    const port = await listen(server, host, options.port ?? 0);
    const endpoint: ImdsEndpoint = { ...target, url: `http://${hostPort(host, port)}`, host, port };
    this.byNode.set(target.nodeName, { endpoint, server });
    return endpoint;
  }

  get(nodeName: string): ImdsEndpoint | undefined {
    return this.byNode.get(nodeName)?.endpoint;
  }

  list(): ImdsEndpoint[] {
    return [...this.byNode.values()].map((entry) => entry.endpoint);
  }

  async close(nodeName?: string): Promise<void> {
    const names = nodeName === undefined ? [...this.byNode.keys()] : [nodeName];
    await Promise.all(
      names.map(async (name) => {
        const entry = this.byNode.get(name);
        if (!entry) return;
        this.byNode.delete(name);
        await closeServer(entry.server);
      }),
    );
  }
}

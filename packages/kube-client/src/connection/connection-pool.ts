import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { TlsSettings } from './kube-config.js';

/** Distinct TLS configurations kept at once; more only happens when certificates rotate. */
const MAX_POOLS = 4;
/** An evicted pool is destroyed only after requests that were just handed it have had time to finish. */
const EVICTED_POOL_DESTROY_DELAY_MS = 60_000;
/** TCP keep-alive probes on idle and watch sockets, as client-go (30 s). */
const KEEP_ALIVE_MS = 30_000;

function fingerprint(tls: TlsSettings): string {
  const hash = createHash('sha256');
  for (const part of [tls.ca, tls.cert, tls.key]) hash.update(part ?? '').update('\0');
  hash.update(`${tls.rejectUnauthorized}\0${tls.servername ?? ''}`);
  return hash.digest('hex');
}

/**
 * Keep-alive connection pools: one for plain http and one per distinct TLS configuration (compared by content, so a
 * rotated certificate gets a new pool and the pool unused the longest is closed). client-node 2.0 built a new undici
 * Agent for every request whenever the cluster had any TLS setting, so every API call was a new TLS handshake.
 */
export class ConnectionPools {
  private plain: HttpAgent | undefined;
  private readonly secure = new Map<string, HttpsAgent>();

  agentFor(url: URL, tls: TlsSettings): HttpAgent {
    if (url.protocol === 'http:') {
      this.plain ??= new HttpAgent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS });
      return this.plain;
    }
    const key = fingerprint(tls);
    const known = this.secure.get(key);
    if (known !== undefined) {
      // Most recently used last, so eviction takes the configuration unused the longest.
      this.secure.delete(key);
      this.secure.set(key, known);
      return known;
    }
    const agent = new HttpsAgent({
      keepAlive: true,
      keepAliveMsecs: KEEP_ALIVE_MS,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    });
    this.secure.set(key, agent);
    for (const [oldKey, old] of this.secure) {
      if (this.secure.size <= MAX_POOLS) break;
      this.secure.delete(oldKey);
      setTimeout(() => old.destroy(), EVICTED_POOL_DESTROY_DELAY_MS).unref();
    }
    return agent;
  }

  /** Closes every pooled socket (open watches and requests are cut). */
  destroy(): void {
    this.plain?.destroy();
    this.plain = undefined;
    for (const agent of this.secure.values()) agent.destroy();
    this.secure.clear();
  }
}

import type { Pod } from '@podid/crd-types';
import { NmiError, describeError } from '../errors.js';
import type { Clock } from '../lookup/lookups.js';

/** The audience AAD requires on a federated client assertion. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Lifetime asked of the API server (it refuses less than 600 s). */
const REQUESTED_LIFETIME_SECONDS = 3600;
/** A token is reused until this share of its lifetime is used (then a fresh one is requested). */
const REUSE_FRACTION = 0.8;
/** Bound on remembered pods; an entry of a pod that is gone simply ages out or is evicted first. */
const MAX_REMEMBERED_PODS = 10_000;

export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly podName: string;
  readonly podUid: string;
  readonly audience: string;
  readonly expirationSeconds: number;
}

/**
 * The TokenRequest API as NMI needs it (the app backs it with kube-client; tests with the kube-emulator). Rejects
 * with an error carrying the API server's HTTP status (`statusCode`) when it refuses.
 */
export interface ServiceAccountTokenLookup {
  requestToken(request: ServiceAccountTokenRequest): Promise<{ readonly token: string; readonly expiresAtMs: number }>;
}

/** `system:serviceaccount:<ns>:<sa>`: what decides which federated credential the token matches. */
export function serviceAccountSubject(pod: Pod): string {
  return `system:serviceaccount:${pod.metadata.namespace}:${serviceAccountOf(pod)}`;
}

export function serviceAccountOf(pod: Pod): string {
  const spec = pod.spec as { serviceAccountName?: unknown; serviceAccount?: unknown } | undefined;
  const name = spec?.serviceAccountName || spec?.serviceAccount;
  return typeof name === 'string' && name !== '' ? name : 'default';
}

interface Remembered {
  readonly token: string;
  readonly reuseUntilMs: number;
}

/**
 * Service-account tokens for pods, bound to each pod's uid and kept until most of their lifetime is used, so a pod's
 * token exchanges cost one TokenRequest an hour at most. Concurrent requests for one pod share one TokenRequest.
 */
export class ServiceAccountAssertions {
  private readonly remembered = new Map<string, Remembered>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly lookup: ServiceAccountTokenLookup,
    private readonly clock: Clock,
  ) {}

  /** A token for the pod's own service account, audience {@link TOKEN_EXCHANGE_AUDIENCE}, bound to the pod. */
  forPod(pod: Pod): Promise<string> {
    const uid = pod.metadata.uid;
    if (typeof uid !== 'string' || uid === '') {
      return Promise.reject(
        new NmiError('token-unavailable', `pod ${pod.metadata.namespace}/${pod.metadata.name} has no uid`),
      );
    }
    const key = `${uid}/${serviceAccountOf(pod)}`;
    const now = this.clock.now();
    const known = this.remembered.get(key);
    if (known !== undefined && now < known.reuseUntilMs) return Promise.resolve(known.token);
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const request = this.request(pod, uid, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  /** Forgets a pod's token (the pod is gone or its binding changed). */
  forget(podUid: string): void {
    for (const key of this.remembered.keys()) if (key.startsWith(`${podUid}/`)) this.remembered.delete(key);
  }

  private async request(pod: Pod, uid: string, key: string): Promise<string> {
    const startedMs = this.clock.now();
    let answer: Awaited<ReturnType<ServiceAccountTokenLookup['requestToken']>>;
    try {
      answer = await this.lookup.requestToken({
        namespace: pod.metadata.namespace,
        serviceAccountName: serviceAccountOf(pod),
        podName: pod.metadata.name,
        podUid: uid,
        audience: TOKEN_EXCHANGE_AUDIENCE,
        expirationSeconds: REQUESTED_LIFETIME_SECONDS,
      });
    } catch (error) {
      const status = (error as { statusCode?: unknown } | null)?.statusCode;
      // The API server refusing (pod gone, uid changed, RBAC) is a refusal for this pod; anything else is transient.
      const code = typeof status === 'number' && status >= 400 && status < 500 ? 'token-refused' : 'token-unavailable';
      throw new NmiError(
        code,
        `failed to get a service account token for pod ${pod.metadata.namespace}/${pod.metadata.name}: ${describeError(error)}`,
        { cause: error },
      );
    }
    const lifetimeMs = Math.max(0, answer.expiresAtMs - startedMs);
    if (this.remembered.size >= MAX_REMEMBERED_PODS) this.evictOne(startedMs);
    this.remembered.set(key, { token: answer.token, reuseUntilMs: startedMs + lifetimeMs * REUSE_FRACTION });
    return answer.token;
  }

  /** Drops an expired entry if there is one, else the oldest (Map order is insertion order). */
  private evictOne(now: number): void {
    for (const [key, entry] of this.remembered) {
      if (entry.reuseUntilMs <= now) {
        this.remembered.delete(key);
        return;
      }
    }
    const oldest = this.remembered.keys().next();
    if (!oldest.done) this.remembered.delete(oldest.value);
  }
}

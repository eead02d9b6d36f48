import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, sleep, systemClock } from '../clock.js';
import { describeError, KubeClientError } from '../errors.js';
import { type KubeLogger, silentLogger } from '../logger.js';
import type { LeaderElectionRecord, LeaderLock, ObservedLease } from './lease-lock.js';

/** Upstream's `--leader-election-duration` default. */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
/** client-go's jitter on acquire retries. */
const JITTER_FACTOR = 1.2;

/** Why `run()` returned. Upstream MIC logs `lost leader lease` and exits(1) on 'lost'; the app decides here. */
export type LeadershipEnd = 'lost' | 'stopped';

export interface LeaderElectorOptions {
  lock: LeaderLock;
  /** Unique per process; see {@link defaultLeaderIdentity}. */
  identity: string;
  /** Default 15 s. Renew deadline and retry period default to 1/2 and 1/4 of it (spec §2.2). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Hand the lease over at once on a deliberate stop, instead of making the next leader wait for expiry. */
  releaseOnStop?: boolean;
  /** Called when this process becomes leader; `signal` aborts when leadership ends for any reason. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when this process stops being leader (lost or stopped). */
  onStoppedLeading?: (reason: LeadershipEnd) => void;
  /** Called whenever a different holder (including this process) is observed. */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  /** Uniform [0, 1), for retry jitter. */
  random?: () => number;
  logger?: KubeLogger;
}

/** `<hostname or pod name>_<uuid>`: stable enough to read in a Lease, unique across restarts of the same pod. */
export function defaultLeaderIdentity(name: string = process.env.HOSTNAME || hostname()): string {
  return `${name}_${randomUUID()}`;
}

/**
 * Lease-based leader election with client-go's algorithm: expiry is judged by when *this* process last saw the record
 * change (not by the writer's clock, so clock skew between nodes does not matter), writes are conditional on the
 * resourceVersion read, and a leader that cannot renew within the renew deadline gives up leadership.
 */
export class LeaderElector {
  private readonly lock: LeaderLock;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly options: LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: KubeLogger;
  private observed: { key: string; at: number; record: LeaderElectionRecord } | undefined;
  private reportedLeader = '';
  private leading = false;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.lock = options.lock;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? this.leaseDurationMs / 2;
    this.retryPeriodMs = options.retryPeriodMs ?? this.leaseDurationMs / 4;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    if (!this.identity)
      throw new KubeClientError('LEADER_ELECTION_INVALID_CONFIG', 'leader identity must not be empty');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new KubeClientError(
        'LEADER_ELECTION_INVALID_CONFIG',
        'lease duration must be greater than the renew deadline',
      );
    }
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new KubeClientError(
        'LEADER_ELECTION_INVALID_CONFIG',
        `renew deadline must be greater than ${JITTER_FACTOR} x the retry period`,
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed in the lock ('' when unknown or released). */
  get leader(): string {
    return this.observed?.record.holderIdentity ?? '';
  }

  /**
   * Campaigns until leader, then renews until leadership is lost or `signal` aborts. Resolves with the reason; never
   * rejects for API errors (they are logged and retried).
   */
  async run(signal: AbortSignal = new AbortController().signal): Promise<LeadershipEnd> {
    this.logger.info({ lock: this.lock.describe(), identity: this.identity }, 'attempting to acquire leader lease');
    while (!signal.aborted) {
      if (await this.attempt(this.retryPeriodMs)) break;
      await sleep(this.clock, this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), signal);
    }
    if (signal.aborted) return 'stopped';

    this.leading = true;
    const leadership = new AbortController();
    this.logger.info({ lock: this.lock.describe(), identity: this.identity }, 'successfully acquired lease');
    this.callSafely(() => this.options.onStartedLeading(leadership.signal));
    const end = await this.renewLoop(signal);
    this.leading = false;
    leadership.abort();
    if (end === 'lost') this.logger.error({ lock: this.lock.describe(), identity: this.identity }, 'lost leader lease');
    else if (this.options.releaseOnStop ?? true) await this.release();
    this.callSafely(() => this.options.onStoppedLeading?.(end));
    return end;
  }

  private async renewLoop(signal: AbortSignal): Promise<LeadershipEnd> {
    for (;;) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      if (signal.aborted) return 'stopped';
      const deadline = this.clock.now() + this.renewDeadlineMs;
      for (;;) {
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) return 'lost';
        const renewed = await this.attempt(remaining);
        if (signal.aborted) return 'stopped';
        if (renewed) break;
        if (this.heldByOther()) return 'lost';
        await sleep(this.clock, Math.min(this.retryPeriodMs, Math.max(0, deadline - this.clock.now())), signal);
        if (signal.aborted) return 'stopped';
      }
    }
  }

  /** One tryAcquireOrRenew, abandoned (counted as failed) if it takes longer than `timeoutMs`. */
  private async attempt(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.tryAcquireOrRenew(), timeout]);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const desired: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    let current: ObservedLease | undefined;
    try {
      current = await this.lock.get();
      if (current === undefined) {
        this.observe(await this.lock.create(desired), this.clock.now());
        return true;
      }
    } catch (error) {
      this.logger.warn({ lock: this.lock.describe(), err: describeError(error) }, 'error acquiring or renewing lease');
      return false;
    }
    this.observe(current, now);
    const holder = current.record.holderIdentity;
    if (holder !== '' && holder !== this.identity && !this.observedExpired(now)) return false;

    if (holder === this.identity) {
      desired.acquireTime = current.record.acquireTime;
      desired.leaseTransitions = current.record.leaseTransitions;
    } else {
      desired.leaseTransitions = current.record.leaseTransitions + 1;
    }
    try {
      this.observe(await this.lock.update(desired, current.resourceVersion), this.clock.now());
      return true;
    } catch (error) {
      this.logger.warn({ lock: this.lock.describe(), err: describeError(error) }, 'error acquiring or renewing lease');
      return false;
    }
  }

  /** Remembers when the record last changed, by this process's clock. */
  private observe(lease: ObservedLease, now: number): void {
    const { record } = lease;
    const key = `${record.holderIdentity}|${record.renewTime}|${record.leaseTransitions}|${lease.resourceVersion}`;
    if (this.observed?.key !== key) this.observed = { key, at: now, record };
    if (record.holderIdentity !== '' && record.holderIdentity !== this.reportedLeader) {
      this.reportedLeader = record.holderIdentity;
      this.logger.info({ lock: this.lock.describe(), leader: record.holderIdentity }, 'new leader elected');
      const leader = record.holderIdentity;
      this.callSafely(() => this.options.onNewLeader?.(leader));
    }
  }

  private observedExpired(now: number): boolean {
    if (!this.observed) return true;
    const durationMs = (this.observed.record.leaseDurationSeconds || this.leaseDurationMs / 1000) * 1000;
    return this.observed.at + durationMs <= now;
  }

  private heldByOther(): boolean {
    const holder = this.observed?.record.holderIdentity ?? '';
    return holder !== '' && holder !== this.identity && !this.observedExpired(this.clock.now());
  }

  /** Gives the lease up so a successor need not wait for it to expire (client-go's ReleaseOnCancel). */
  private async release(): Promise<void> {
    try {
      const current = await this.lock.get();
      if (!current || current.record.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      await this.lock.update(
        { ...current.record, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
        current.resourceVersion,
      );
      this.logger.info({ lock: this.lock.describe(), identity: this.identity }, 'released leader lease');
    } catch (error) {
      this.logger.warn({ lock: this.lock.describe(), err: describeError(error) }, 'could not release leader lease');
    }
  }

  private callSafely(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'leader election callback threw');
    }
  }
}

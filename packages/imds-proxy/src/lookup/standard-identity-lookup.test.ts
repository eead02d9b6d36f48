import { describe, expect, test } from '@jest/globals';
import type { AzureAssignedIdentity } from '@podid/crd-types';
import { msiIdentity } from '../test-support/fake-cluster.js';
import type { Clock, StandardIdentitySource } from './lookups.js';
import { lookupStandardIdentity } from './standard-identity-lookup.js';

/** A clock whose sleeps only end when aborted: any answer must come from a change notification. */
function frozenClock(): Clock & { sleeps: number } {
  const clock = {
    sleeps: 0,
    now: () => 0,
    sleep: (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_resolve, reject) => {
        clock.sleeps++;
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
  return clock;
}

function assigned(state: string): AzureAssignedIdentity {
  return {
    metadata: { name: 'a', namespace: 'default' },
    spec: { pod: 'app', podNamespace: 'demo', azureIdentityRef: msiIdentity('id', 'demo', 'client-1') },
    status: { status: state },
  } as AzureAssignedIdentity;
}

/** Assigned identities for one pod, with change notifications as NMI's informer cache gives them. */
class ChangingSource implements StandardIdentitySource {
  readonly mode = 'standard' as const;
  entries: AzureAssignedIdentity[] = [assigned('Created')];
  private waiters = new Set<() => void>();
  listeners = 0;

  assignedIdentitiesForPod() {
    return this.entries;
  }

  assignedIdentitiesChanged(_namespace: string, _pod: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      this.listeners++;
      const done = () => {
        this.waiters.delete(done);
        this.listeners--;
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener(
        'abort',
        () => {
          if (this.waiters.delete(done)) this.listeners--;
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  change(entries: AzureAssignedIdentity[]): void {
    this.entries = entries;
    for (const waiter of [...this.waiters]) waiter();
  }
}

const options = (source: StandardIdentitySource, clock: Clock) => ({
  source,
  clock,
  retryAttemptsForCreated: 16,
  retryAttemptsForAssigned: 4,
  retryIntervalMs: 5000,
  forceNamespaced: false,
});

describe('standard-mode lookup woken by changes', () => {
  test('answers as soon as the identity turns Assigned, without waiting out the retry interval', async () => {
    const source = new ChangingSource();
    const clock = frozenClock();
    const lookup = lookupStandardIdentity('demo', 'app', { clientId: '', resourceId: '' }, options(source, clock), {
      signal: new AbortController().signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    source.change([assigned('Created')]); // an unrelated change: still waiting
    await new Promise((resolve) => setImmediate(resolve));
    source.change([assigned('Assigned')]);
    const identity = await lookup;
    expect(identity.spec.clientID).toBe('client-1');
    // Every wait was cancelled: no sleeping timer and no change listener left behind.
    expect(source.listeners).toBe(0);
    expect(clock.sleeps).toBeGreaterThan(0);
  });

  test('a client that goes away ends the wait', async () => {
    const source = new ChangingSource();
    const request = new AbortController();
    const lookup = lookupStandardIdentity(
      'demo',
      'app',
      { clientId: '', resourceId: '' },
      options(source, frozenClock()),
      request,
    );
    await new Promise((resolve) => setImmediate(resolve));
    request.abort(new Error('client disconnected'));
    await expect(lookup).rejects.toThrow('client disconnected');
    expect(source.listeners).toBe(0);
  });
});

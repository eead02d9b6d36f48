import { describe, expect, test } from '@jest/globals';
import type { ArmIdentityClient } from './arm-identity-client.js';
import { ArmAssignerError } from './errors.js';
import { ThrottleGate } from './throttle-gate.js';
import { type ArmCallEvent, ThrottledArmClient } from './throttled-arm-client.js';

const target = { kind: 'vmss' as const, subscriptionId: 's', resourceGroup: 'rg', name: 'ss' };

describe('ThrottledArmClient', () => {
  test('an ignored Retry-After reaches onArmCall as retryAfterNote (MIC logs it) and sets no deadline', async () => {
    const note = 'ignored Retry-After "soon": not delta-seconds or an IMF-fixdate (RFC 9110)';
    const inner = {
      readIdentity: async () => {
        throw new ArmAssignerError('throttled', 'throttled', { statusCode: 429, retryAfterNote: note });
      },
    } as unknown as ArmIdentityClient;
    const events: ArmCallEvent[] = [];
    const client = new ThrottledArmClient(inner, new ThrottleGate(() => 0), (event) => events.push(event));
    await expect(client.readIdentity(target)).rejects.toThrow('throttled');
    await expect(client.readIdentity(target)).rejects.toThrow('throttled');
    expect(events).toEqual([
      expect.objectContaining({ operation: 'vmss_get', errorCode: 'throttled', retryAfterNote: note }),
      expect.objectContaining({ operation: 'vmss_get', errorCode: 'throttled', retryAfterNote: note }),
    ]);
  });
});

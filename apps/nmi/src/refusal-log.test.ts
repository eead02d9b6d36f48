import { expect, test } from '@jest/globals';
import { REFUSAL_LOG_INTERVAL_MS, createRefusalLogger } from './refusal-log.js';

test('a caller sending refused targets gets one log line per interval, counting the others', () => {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  let clock = 1_000_000;
  const logRefusal = createRefusalLogger(
    { warn: ((fields: Record<string, unknown>, message: string) => lines.push({ fields, message })) as never },
    () => clock,
  );
  for (let i = 0; i < 1000; i++) logRefusal({ remote: '10.0.0.5', reason: 'dot segment' });
  logRefusal({ remote: '10.0.0.6', reason: 'empty path segment' });
  expect(lines).toHaveLength(2);
  clock += REFUSAL_LOG_INTERVAL_MS;
  logRefusal({ remote: '10.0.0.5', reason: 'dot segment' });
  expect(lines).toHaveLength(3);
  expect(lines[2]?.fields).toEqual({ remote: '10.0.0.5', reason: 'dot segment', refusedSinceLastLine: 999 });
  expect(lines[2]?.message).toBe('request refused before routing');
});

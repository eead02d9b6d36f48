import { describe, expect, test } from '@jest/globals';
import { canUseNetns, describeIfNetns } from './netns-support.js';

describe('canUseNetns', () => {
  test('reports a missing binary (or a non-root user) with a reason', () => {
    const support = canUseNetns(['podid-no-such-binary']);
    expect(support.ok).toBe(false);
    if (!support.ok) expect(support.reason).toMatch(/podid-no-such-binary|not root/);
  });
});

describe('describeIfNetns when namespaces cannot be used', () => {
  const warnings: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...parts: unknown[]) => {
    warnings.push(parts.join(' '));
  };
  try {
    describeIfNetns(
      'suite that needs a missing tool',
      () => {
        test('is registered as skipped, never run', () => {
          throw new Error('a skipped suite ran');
        });
      },
      { binaries: ['podid-no-such-binary'] },
    );
  } finally {
    console.warn = originalWarn;
  }

  test('prints exactly one SKIP line naming the suite and the reason', () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^SKIP suite that needs a missing tool: needs root and podid-no-such-binary \(.+\)$/);
  });
});

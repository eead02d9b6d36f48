import { describe, expect, test } from '@jest/globals';
import { type FlagDefinitions, formatGoFlagsHelp, normaliseGoArgs, parseGoFlags } from './flags.js';

const definitions = {
  kubeconfig: { type: 'string', default: '', description: 'path to kubeconfig' },
  forceNamespaced: { type: 'bool', default: false, description: 'namespaced mode' },
  'enable-type-upgrade': { type: 'bool', default: true, description: 'upgrade legacy objects' },
  createDeleteBatch: { type: 'int', default: 20, description: 'batch size' },
  clientQps: { type: 'float', default: 5, description: 'kube client QPS' },
  syncRetryDuration: { type: 'duration', default: 3_600_000, description: 'full sync period' },
  v: { type: 'int', default: 0, description: 'log verbosity', hidden: true },
} as const satisfies FlagDefinitions;
const program = { name: 'mic', summary: 'test program' };

describe('parseGoFlags', () => {
  test('defaults when nothing is given, and nothing counts as explicit', () => {
    const outcome = parseGoFlags(definitions, [], program);
    expect(outcome).toEqual({
      kind: 'ok',
      values: {
        kubeconfig: '',
        forceNamespaced: false,
        'enable-type-upgrade': true,
        createDeleteBatch: 20,
        clientQps: 5,
        syncRetryDuration: 3_600_000,
        v: 0,
      },
      explicit: new Set(),
    });
  });

  test('accepts single and double dashes, = and separate values, and Go booleans', () => {
    const outcome = parseGoFlags(
      definitions,
      [
        '-kubeconfig=/tmp/kc',
        '--forceNamespaced',
        '--enable-type-upgrade=false',
        '-createDeleteBatch',
        '4',
        '--clientQps=2.5',
        '--syncRetryDuration=1m30s',
        '-v=5',
      ],
      program,
    );
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.values).toEqual({
      kubeconfig: '/tmp/kc',
      forceNamespaced: true,
      'enable-type-upgrade': false,
      createDeleteBatch: 4,
      clientQps: 2.5,
      syncRetryDuration: 90_000,
      v: 5,
    });
    expect([...outcome.explicit].sort()).toEqual(Object.keys(definitions).sort());
  });

  test.each([
    [['--syncRetryDuration=abc'], /--syncRetryDuration.*time: invalid duration "abc"/],
    [['--createDeleteBatch=2.5'], /--createDeleteBatch.*invalid syntax/],
    [['--forceNamespaced=yes'], /--forceNamespaced.*ParseBool/],
    [['--clientQps', 'fast'], /--clientQps/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
    [['stray'], /too many arguments/],
    [['--kubeconfig'], /--kubeconfig.*argument missing/],
  ])('%j is an error naming the flag', (argv, message) => {
    const outcome = parseGoFlags(definitions, argv, program);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') expect(outcome.message).toMatch(message);
  });

  test('help lists visible flags with Go-style defaults and hides hidden ones', () => {
    const text = formatGoFlagsHelp(definitions, program);
    expect(text).toContain('--syncRetryDuration <duration>');
    expect(text).toContain('(default: 1h0m0s)');
    expect(text).toContain('--forceNamespaced [bool]');
    expect(text).not.toContain('--v <int>');
    expect(parseGoFlags(definitions, ['-h'], program).kind).toBe('help');
  });
});

describe('normaliseGoArgs', () => {
  test('only rewrites defined names and nothing after --', () => {
    expect(normaliseGoArgs(['-kubeconfig', 'x', '-x', '--v=1', '--', '-kubeconfig'], definitions)).toEqual([
      '--kubeconfig',
      'x',
      '-x',
      '--v=1',
      '--',
      '-kubeconfig',
    ]);
  });
});

import { describe, expect, test } from '@jest/globals';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError } from './status-errors.js';

const pod = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'p1', namespace: 'ns1', labels },
  ...extra,
});

describe('label selectors', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web, db)', { app: 'db' }, true],
    ['app in (web,db)', { app: 'cache' }, false],
    ['app notin (web,db)', { app: 'cache' }, true],
    ['app notin (web,db)', {}, true],
    ['app notin (web,db)', { app: 'web' }, false],
    ['app', { app: '' }, true],
    ['app', {}, false],
    ['!app', {}, true],
    ['!app', { app: 'x' }, false],
    ['app=web,tier in (fe),!legacy', { app: 'web', tier: 'fe' }, true],
    ['app=web,tier in (fe),!legacy', { app: 'web', tier: 'fe', legacy: 'y' }, false],
    ['aadpodidentity.k8s.io/binding=x', { 'aadpodidentity.k8s.io/binding': 'x' }, true],
    ['n>3', { n: '4' }, true],
    ['n<3', { n: '4' }, false],
  ];
  test.each(cases)('%s on %j → %s', (selector, labels, expected) => {
    expect(parseLabelSelector(selector)!(pod(labels))).toBe(expected);
  });

  test('empty selector matches everything (no predicate)', () => {
    expect(parseLabelSelector('')).toBeUndefined();
    expect(parseLabelSelector(undefined)).toBeUndefined();
  });

  test('invalid selectors are refused with 400 BadRequest', () => {
    expect.assertions(3);
    try {
      parseLabelSelector('app=we b');
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).status.code).toBe(400);
      expect((e as ApiError).status.reason).toBe('BadRequest');
    }
  });
});

describe('field selectors', () => {
  const allowed = ['spec.nodeName', 'status.podIP', 'status.phase', 'spec.hostNetwork'];
  const p = pod({}, { spec: { nodeName: 'node-1' }, status: { phase: 'Running', podIP: '10.0.0.1' } });

  test.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['metadata.namespace=ns1', true],
    ['spec.nodeName=node-1,status.phase=Running', true],
    ['spec.nodeName=node-1,status.phase!=Running', false],
    ['status.podIP=10.0.0.1', true],
    ['spec.nodeName=', false],
    ['spec.hostNetwork=false', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseFieldSelector(selector, allowed)!(p)).toBe(expected);
  });

  test('missing fields compare as empty strings (unscheduled pods match spec.nodeName=)', () => {
    expect(parseFieldSelector('spec.nodeName=', allowed)!(pod({}))).toBe(true);
  });

  test('unsupported fields are refused like the real server', () => {
    expect(() => parseFieldSelector('spec.foo=bar', allowed)).toThrow('field label not supported: spec.foo');
  });
});

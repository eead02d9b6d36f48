import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatGoDuration, parseGoBool, parseGoDuration, parseGoFloat, parseGoInt, parsePort } from './values.js';

describe('parseGoDuration', () => {
  test.each([
    ['1h0m0s', 3_600_000],
    ['3m0s', 180_000],
    ['15s', 15_000],
    ['1s', 1000],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['-2m', -120_000],
    ['+5s', 5000],
    ['0', 0],
    ['1000us', 1],
    ['1500000ns', 1.5],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  test.each(['', '5', '1x', 's', '1h 2m', 'abc', '--1s', '1.2.3s'])('rejects %j like Go', (text) => {
    expect(() => parseGoDuration(text)).toThrow(`time: invalid duration "${text}"`);
  });

  test('formatting then parsing gives the same duration for whole milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e10 }), (ms) => {
        expect(parseGoDuration(formatGoDuration(ms))).toBe(ms);
      }),
    );
  });

  test('formats like Go', () => {
    expect(formatGoDuration(3_600_000)).toBe('1h0m0s');
    expect(formatGoDuration(180_000)).toBe('3m0s');
    expect(formatGoDuration(15_000)).toBe('15s');
    expect(formatGoDuration(500)).toBe('500ms');
    expect(formatGoDuration(0)).toBe('0s');
  });
});

describe('parseGoBool', () => {
  test.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s is true', (text) => expect(parseGoBool(text)).toBe(true));
  test.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s is false', (text) => expect(parseGoBool(text)).toBe(false));
  test.each(['yes', 'on', 'tRUE', '', ' true'])('%j is refused', (text) => {
    expect(() => parseGoBool(text)).toThrow(expect.objectContaining({ code: 'invalid_bool' }));
  });
});

describe('numbers', () => {
  test('ints are whole base-10 numbers', () => {
    expect(parseGoInt('20')).toBe(20);
    expect(parseGoInt('-3')).toBe(-3);
    for (const bad of ['2.5', '', '12abc', '0x10', '1e3']) {
      expect(() => parseGoInt(bad)).toThrow(expect.objectContaining({ code: 'invalid_int' }));
    }
  });
  test('floats are finite numbers', () => {
    expect(parseGoFloat('5')).toBe(5);
    expect(parseGoFloat('2.5')).toBe(2.5);
    for (const bad of ['', 'abc', 'Infinity', 'NaN']) {
      expect(() => parseGoFloat(bad)).toThrow(expect.objectContaining({ code: 'invalid_float' }));
    }
  });
});

describe('parsePort', () => {
  test('accepts "8080" and ":8080"', () => {
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort(':9090')).toBe(9090);
  });
  test.each(['http', '', '70000', '-1', '80a'])('refuses %j', (text) => {
    expect(() => parsePort(text)).toThrow(expect.objectContaining({ code: 'invalid_port' }));
  });
});

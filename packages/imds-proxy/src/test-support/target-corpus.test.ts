import { expect, test } from '@jest/globals';
import { generateTargetCorpus, seededRandom } from './target-corpus.js';

const corpus = generateTargetCorpus({ seed: 0x14_c0ffee, count: 20_000 });

test('the same seed gives the same targets, another seed others', () => {
  expect(generateTargetCorpus({ seed: 0x14_c0ffee, count: 20_000 })).toEqual(corpus);
  expect(generateTargetCorpus({ seed: 1, count: 100 })).not.toEqual(corpus.slice(0, 100));
  expect(new Set(corpus).size).toBe(corpus.length);
  expect(seededRandom(42)()).toBe(seededRandom(42)());
});

/** Every spelling issue 14 asks for shows up, in a fair number of targets each. */
test.each([
  ['6+ rounds of %25 nesting', /%25252525252[0-9a-f]/i],
  ['lower-case hex %2f', /%2f/],
  ['upper-case hex %2F', /%2F/],
  ['%5C', /%5c/i],
  ['%2E', /%2e/i],
  ['empty segments', /\/\/[^/]/],
  ['dot segments', /\/\.\.?\//],
  ['overlong %C0%AE', /%c0%ae/i],
  ['overlong %C0%AF', /%c0%af/i],
  ['overlong %E0%80%AE', /%e0%80%ae/i],
  ['U+2215 division slash', /%e2%88%95/i],
  ['U+FF0F fullwidth solidus', /%ef%bc%8f/i],
  ['fullwidth dot', /%ef%bc%8e/i],
  ['raw UTF-8 look-alike', /\xEF\xBC[\x8E\x8F]/],
  ['raw NUL / control bytes', /[\x00\x09\x0b\x7f]/],
  ['encoded NUL and control bytes', /%(00|09|0a|0d|7f)/i],
  ['backslash', /\\/],
  [';params', /;/],
  ['fragments', /#/],
  ['absolute-form', /^https?:\/\/169\.254\.169\.254/i],
  ['api-version and resource', /\?api-version=[^&]+&resource=/],
  ['client_id', /&client_id=/],
  ['mixed-case letters in the path', /\/(?!metadata\/)[mM][eE][tT][aA][dD][aA][tT][aA]\//],
])('contains %s', (_name, pattern) => {
  expect(corpus.filter((target) => pattern.test(target)).length).toBeGreaterThan(40);
});

import { describe, expect, test } from '@jest/globals';
import { redactSecretText } from './redact-text.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJlLXBhcnQ';

describe('redactSecretText', () => {
  test.each([
    ['bearer header', `Authorization: Bearer ${JWT}`, 'Authorization: [REDACTED]'],
    ['json authorization', `{"Authorization":"Bearer abc.def"}`, '{"Authorization":"[REDACTED]"}'],
    ['loose bearer', `token was Bearer abcdef123== then`, 'token was Bearer [REDACTED] then'],
    [
      'form body',
      'grant_type=client_credentials&client_secret=s3cr3t&client_id=x',
      'grant_type=client_credentials&client_secret=[REDACTED]&client_id=x',
    ],
    ['client assertion', `client_assertion=${JWT}&scope=x`, 'client_assertion=[REDACTED]&scope=x'],
    [
      'json access token',
      `{"access_token":"${JWT}","expires_in":"3599"}`,
      '{"access_token":"[REDACTED]","expires_in":"3599"}',
    ],
    [
      'SAS signature',
      'https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sig=AbC%2Bd%3D&se=2030',
      'https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sig=[REDACTED]&se=2030',
    ],
    ['bare JWT', `the token ${JWT} leaked`, 'the token [REDACTED] leaked'],
    ['password', 'password: hunter2', 'password: [REDACTED]'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecretText(input)).toBe(expected);
  });

  test('text without credentials is returned unchanged', () => {
    const text =
      "The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/write'";
    expect(redactSecretText(text)).toBe(text);
  });
});

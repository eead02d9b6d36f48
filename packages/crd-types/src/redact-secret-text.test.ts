import { describe, expect, test } from '@jest/globals';
import { redactSecretText } from './redact-secret-text.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz';

describe('redactSecretText', () => {
  test.each([
    [`AADSTS700024: Client assertion is not within its valid time range. assertion: ${JWT}`, JWT],
    [`{"error":"invalid_client","access_token":"abc123","client_secret":"s3cr3t\\"x"}`, 's3cr3t'],
    ['POST body: grant_type=client_credentials&client_id=x&client_secret=hunter2&scope=y', 'hunter2'],
    [`client_assertion_type=urn%3Aietf&client_assertion=${JWT}`, JWT],
    ['Authorization: Bearer abc.def.ghi', 'abc.def.ghi'],
    ['authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    ['https://acct.blob.core.windows.net/c/b?sv=2021&se=2030&sig=AbC%2Bdef%3D&sp=r', 'AbC%2Bdef%3D'],
    ['SharedAccessSignature sr=x&sig=abcdef&se=1', 'abcdef'],
    ['password: letmein', 'letmein'],
  ])('%s loses its secret', (text, secret) => {
    const redacted = redactSecretText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[REDACTED]');
  });

  test('the rest of the text is kept, and texts without secrets are returned as they are', () => {
    const text = 'Identity not found: the requested identity has not been assigned to this resource.';
    expect(redactSecretText(text)).toBe(text);
    expect(redactSecretText('AADSTS70021: No matching federated identity record found for presented assertion.')).toBe(
      'AADSTS70021: No matching federated identity record found for presented assertion.',
    );
    const arm =
      '{"error":{"code":"AuthorizationFailed","message":"The client has no authorization to perform action"}}';
    expect(redactSecretText(arm)).toBe(arm);
    expect(redactSecretText('failed to get token: connect ECONNREFUSED')).toBe(
      'failed to get token: connect ECONNREFUSED',
    );
  });
});

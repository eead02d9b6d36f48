import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createLogger } from '@podid/observability';
import { createRequestLogger } from './request-log.js';

function capture(format: 'json' | 'text') {
  let output = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.toString('utf8');
      callback();
    },
  });
  return { output: () => output, log: createRequestLogger(createLogger({ component: 'NMI', format, destination })) };
}

const CLIENT_ID = '8c4e2a2b-3f57-4c9d-9a1e-0a1b2c3d4e5f';

describe('createRequestLogger', () => {
  test('one line with upstream’s message, the pod and a redacted client ID', () => {
    const { output, log } = capture('json');
    log({
      method: 'GET',
      path: '/metadata/identity/oauth2/token/',
      route: '/metadata/identity/oauth2/token',
      remote: '10.244.0.7',
      status: 200,
      durationMs: 12.5,
      podNamespace: 'apps',
      podName: 'web-1',
      identity: 'web-identity',
      clientId: CLIENT_ID,
      cache: 'miss',
    });
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 30,
      msg: 'status (200) took 12500000 ns for req.method=GET reg.path=/metadata/identity/oauth2/token/ req.remote=10.244.0.7',
      podNamespace: 'apps',
      podName: 'web-1',
      identity: 'web-identity',
      clientID: '8c4e##### REDACTED #####4e5f',
      cache: 'miss',
    });
    expect(output()).not.toContain(CLIENT_ID);
  });

  test('failures are warnings (4xx) or errors (5xx), so `grep ^E` finds server-side failures in text logs', () => {
    const { output, log } = capture('text');
    const base = { method: 'GET', path: '/host/token', route: '/host/token', remote: '127.0.0.1', durationMs: 1 };
    log({ ...base, status: 404, errorCode: 'identity_not_found', message: 'no azure identity found' });
    log({ ...base, status: 503, errorCode: 'token_failed', message: 'connect ECONNREFUSED' });
    const lines = output().trim().split('\n');
    expect(lines[0]).toMatch(/^W/);
    expect(lines[1]).toMatch(/^E/);
    expect(lines[1]).toContain('error="connect ECONNREFUSED"');
  });
});

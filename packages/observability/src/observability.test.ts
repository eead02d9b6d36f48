import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from '@jest/globals';
import { createLogger, formatKlogLine } from './logger.js';
import { createPodIdentityMetrics } from './metrics.js';
import { type RunningServer, startHealthServer, startMetricsServer } from './probe-server.js';
import { REDACTED, redactClientId, redactSecrets } from './index.js';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return { stream, lines, flush: () => new Promise((resolve) => setImmediate(resolve)) };
}

describe('redactClientId (spec §2.14)', () => {
  test('keeps the first and last four characters', () => {
    expect(redactClientId('aabbccdd-1111-2222-3333-444455556666')).toBe('aabb##### REDACTED #####6666');
  });
  test('short values are never shown in full', () => {
    expect(redactClientId('abcdefg')).not.toContain('abcdefg');
  });
});

describe('redactSecrets', () => {
  test('replaces secret-named fields at any depth, in arrays and errors, without touching the original', () => {
    const error = Object.assign(new Error('AAD refused'), { response: { headers: { authorization: 'Bearer eyJ' } } });
    const logged = {
      pod: 'p',
      req: { headers: { authorization: 'Bearer eyJ', accept: '*/*' } },
      items: [{ access_token: 'eyJ', name: 'a' }],
      config: { aad: { clientSecret: 'hunter2' } },
      err: error,
    };
    const redacted = redactSecrets(logged);
    expect(redacted.pod).toBe('p');
    expect(redacted.req).toEqual({ headers: { authorization: REDACTED, accept: '*/*' } });
    expect(redacted.items).toEqual([{ access_token: REDACTED, name: 'a' }]);
    expect(redacted.config).toEqual({ aad: { clientSecret: REDACTED } });
    expect(redacted.err).toMatchObject({ message: 'AAD refused', response: { headers: { authorization: REDACTED } } });
    expect(JSON.stringify(redacted)).not.toMatch(/eyJ|hunter2/);
    // The caller's objects are unchanged.
    expect(logged.req.headers.authorization).toBe('Bearer eyJ');
    expect(error.response.headers.authorization).toBe('Bearer eyJ');
  });

  test('class instances are scanned too, and copies keep their prototype', () => {
    class FakeRequest {
      headers = { authorization: 'Bearer eyJ', host: 'imds' };
      token = 'eyJ';
      describe() {
        return this.headers.host;
      }
    }
    const original = new FakeRequest();
    const redacted = redactSecrets({ req: original }).req;
    expect(redacted).toBeInstanceOf(FakeRequest);
    expect(redacted.describe()).toBe('imds');
    expect(JSON.stringify(redacted)).not.toContain('eyJ');
    expect(original.token).toBe('eyJ');
  });

  test('an object without secrets comes back as the same object, and buffers are not scanned', () => {
    const clean = { status: 200, pod: { namespace: 'demo', name: 'app' }, body: Buffer.from('token') };
    expect(redactSecrets(clean)).toBe(clean);
  });
});

describe('createLogger', () => {
  test('json lines carry the component and never a secret', async () => {
    const out = capture();
    const logger = createLogger({ component: 'NMI', format: 'json', destination: out.stream });
    logger.info(
      {
        token: 'eyJ-secret',
        request: { access_token: 'eyJ-secret', headers: { authorization: 'Bearer eyJ-secret' } },
        clientSecret: 'hunter2',
        pod: 'p',
      },
      'token served',
    );
    const cause = new Error('socket hang up');
    logger.error(Object.assign(new Error('refused', { cause }), { password: 'hunter2' }), 'AAD error');
    logger.child({ token: 'eyJ-secret', headers: { authorization: 'Bearer eyJ-secret' } }).info('child line');
    logger.child({ scope: 'outer' }).child({ password: 'hunter2' }).info('grandchild line');
    await out.flush();
    expect(out.lines).toHaveLength(4);
    const record = JSON.parse(out.lines[0] as string);
    expect(record).toMatchObject({ component: 'NMI', msg: 'token served', pod: 'p', token: '[REDACTED]' });
    // Still serialised as an error (type, message, stack, cause), with the secret field redacted.
    const error = JSON.parse(out.lines[1] as string);
    expect(error).toMatchObject({
      msg: 'AAD error',
      err: { type: 'Error', message: 'refused: socket hang up', password: '[REDACTED]' },
    });
    expect(error.err.stack).toContain('caused by: Error: socket hang up');
    expect(JSON.parse(out.lines[2] as string)).toMatchObject({ msg: 'child line', token: '[REDACTED]' });
    expect(JSON.parse(out.lines[3] as string)).toMatchObject({ scope: 'outer', password: '[REDACTED]' });
    expect(out.lines.join('\n')).not.toContain('eyJ-secret');
    expect(out.lines.join('\n')).not.toContain('hunter2');
  });

  test('text lines look like klog, with the severity letter first', async () => {
    const out = capture();
    const logger = createLogger({ component: 'MIC', format: 'text', destination: out.stream });
    logger.error({ node: 'n1' }, 'failed to update identities');
    logger.warn('careful');
    logger.debug('hidden at verbosity 0');
    await out.flush();
    expect(out.lines).toHaveLength(2);
    expect(out.lines[0]).toMatch(/^E\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ mic\] failed to update identities node="n1"$/);
    expect(out.lines[1]).toMatch(/^W.* mic\] careful$/);
  });

  test('verbosity 4 adds debug lines', async () => {
    const out = capture();
    createLogger({ component: 'MIC', format: 'json', verbosity: 4, destination: out.stream }).debug('detail');
    await out.flush();
    expect(out.lines).toHaveLength(1);
  });

  test('a non-JSON line passes through unchanged', () => {
    expect(formatKlogLine('plain')).toBe('plain');
  });
});

describe('servers', () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  test('/healthz answers 200 Not Active, then Active; no pprof (Q11)', async () => {
    let active = false;
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', isActive: () => active });
    servers.push(server);
    let response = await fetch(`${server.url}/healthz`);
    expect([response.status, await response.text()]).toEqual([200, 'Not Active']);
    active = true;
    response = await fetch(`${server.url}/healthz`);
    expect([response.status, await response.text()]).toEqual([200, 'Active']);
    response = await fetch(`${server.url}/debug/pprof/`);
    expect(response.status).toBe(404);
  });

  test('/metrics exposes the aadpodidentity_* families with upstream names', async () => {
    const metrics = createPodIdentityMetrics();
    metrics.micCycleCount.inc();
    metrics.cloudProviderOperationsErrors.inc({ operation_type: 'vmss_update' });
    metrics.nmiOperationsDuration.observe(
      { operation_type: '/metadata/identity/oauth2/token', status_code: '200', namespace: 'default', resource: 'r' },
      0.2,
    );
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: metrics.registry });
    servers.push(server);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.sort()).toEqual(
      [
        'aadpodidentity_assigned_identity_addition_count counter',
        'aadpodidentity_assigned_identity_addition_duration_seconds histogram',
        'aadpodidentity_assigned_identity_deletion_count counter',
        'aadpodidentity_assigned_identity_deletion_duration_seconds histogram',
        'aadpodidentity_assigned_identity_update_count counter',
        'aadpodidentity_assigned_identity_update_duration_seconds histogram',
        'aadpodidentity_cloud_provider_operations_duration_seconds histogram',
        'aadpodidentity_cloud_provider_operations_errors_count counter',
        'aadpodidentity_imds_operations_duration_seconds histogram',
        'aadpodidentity_imds_operations_errors_count counter',
        'aadpodidentity_kubernetes_api_operations_errors_count counter',
        'aadpodidentity_mic_cycle_count counter',
        'aadpodidentity_mic_cycle_duration_seconds histogram',
        'aadpodidentity_mic_new_leader_election_count counter',
        'aadpodidentity_nmi_operations_duration_seconds histogram',
      ].sort(),
    );
    expect(text).toContain('aadpodidentity_mic_cycle_count 1');
    expect(text).toContain('aadpodidentity_cloud_provider_operations_errors_count{operation_type="vmss_update"} 1');
    expect(text).toContain('aadpodidentity_nmi_operations_duration_seconds_bucket{le="0.5"');
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
  });
});

describe('readBuildInfo and formatVersionLine', () => {
  test('name and version from the manifest, commit and date from the environment', async () => {
    const { formatVersionLine, readBuildInfo } = await import('./cli.js');
    const info = readBuildInfo(new URL('../package.json', import.meta.url), 'fallback', {
      PODID_GIT_COMMIT: 'abc1234',
      PODID_BUILD_DATE: '2026-11-22',
    });
    expect(info).toEqual({
      name: '@podid/observability',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      gitCommit: 'abc1234',
      buildDate: '2026-11-22',
    });
    expect(formatVersionLine(info)).toMatch(/^@podid\/observability \S+ \(commit abc1234, built 2026-11-22\)$/);
  });

  test('a missing manifest still gives an answer instead of failing start-up', async () => {
    const { readBuildInfo } = await import('./cli.js');
    expect(readBuildInfo(new URL('file:///nonexistent/package.json'), '@podid/mic', {})).toEqual({
      name: '@podid/mic',
      version: '0.0.0-unknown',
      gitCommit: 'unknown',
      buildDate: 'unknown',
    });
  });
});

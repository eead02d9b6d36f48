import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CommanderError } from 'commander';
import type { SeededWorld } from './seed-world.js';
import { type RunningCli, runCli } from './run-cli.js';
import { rawRequest } from '../test-support/https-request.js';

const run = promisify(execFile);

describe('azure-emulator CLI and admin HTTP API', () => {
  let dir: string;
  let cli: RunningCli;
  let world: SeededWorld;
  const printed: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'azure-emulator-cli-'));
    cli = await runCli(
      ['node', 'azure-emulator', '--seed', '--seed-vms', '1', '--tls-dir', join(dir, 'tls'), '--vmss-latency-ms', '5'],
      { stdout: (line) => printed.push(line) },
    );
    world = cli.summary['world'] as SeededWorld;
  });

  afterAll(async () => {
    await cli.emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  function admin(method: string, body?: unknown, raw?: string) {
    return rawRequest(`${cli.emulator.adminUrl}/admin/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: raw ?? JSON.stringify(body ?? {}),
    });
  }

  test('prints one JSON line with the URLs, the CA file and the seeded world', () => {
    expect(printed).toHaveLength(1);
    const summary = JSON.parse(printed[0]!);
    expect(summary.armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.aadUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.caFile).toBe(join(dir, 'tls', 'ca.pem'));
    expect(world.identities).toHaveLength(3);
    expect(world.virtualMachines).toHaveLength(1);
  });

  test('plain Node fetch trusts the emulator with NODE_EXTRA_CA_CERTS (what msal-node uses by default)', async () => {
    const caFile = join(dir, 'tls', 'ca.pem');
    expect(await readFile(caFile, 'utf8')).toBe(cli.emulator.caCertPem);
    const script = `const r = await fetch(process.argv[1]); console.log(r.status, (await r.json()).issuer);`;
    const url = `${cli.emulator.aadUrl}/${world.tenantId}/v2.0/.well-known/openid-configuration`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, url], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(stdout.trim()).toBe(`200 ${cli.emulator.aadUrl}/${world.tenantId}/v2.0`);
  });

  test('the seeded service principal gets an ARM token and reads a seeded VM', async () => {
    const token = await rawRequest(`${cli.emulator.aadUrl}/${world.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: world.servicePrincipal.clientId,
        client_secret: world.servicePrincipal.clientSecret,
        scope: 'https://management.azure.com/.default',
      }).toString(),
      ca: cli.emulator.caCertPem,
    });
    expect(token.status).toBe(200);
    const vm = await rawRequest(`${cli.emulator.armUrl}${world.virtualMachines[0]!.id}?api-version=2024-07-01`, {
      headers: { Authorization: `Bearer ${token.json.access_token}` },
      ca: cli.emulator.caCertPem,
    });
    expect(vm.status).toBe(200);
    expect(vm.json.name).toBe('node-0');
  });

  test('admin HTTP: create a VMSS with instances, read its identity state, inject a fault, read counters', async () => {
    const created = await admin('createVirtualMachineScaleSet', {
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'pool',
      userAssignedIdentities: [world.identities[0]!.id],
      instances: [{ nodeName: 'pool-0' }, { nodeName: 'pool-1' }],
    });
    expect(created.status).toBe(200);
    expect(created.json.imds.map((e: { nodeName: string }) => e.nodeName)).toEqual(['pool-0', 'pool-1']);
    const state = await admin('identityState', { resourceId: created.json.id });
    expect(state.json).toMatchObject({ type: 'UserAssigned', userAssignedIdentities: [world.identities[0]!.id] });

    expect((await admin('injectFault', { area: 'imds', kind: 'imds_token', status: 500, count: 1 })).status).toBe(200);
    const imdsUrl = `${created.json.imds[1].url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r&client_id=${world.identities[0]!.clientId}`;
    expect((await rawRequest(imdsUrl, { headers: { Metadata: 'true' } })).status).toBe(500);
    expect((await rawRequest(imdsUrl, { headers: { Metadata: 'true' } })).status).toBe(200);
    const counts = await admin('requestCounts');
    expect(counts.json['imds_token']).toBe(2);
  });

  test('admin HTTP errors: unknown method, GET, bad JSON, bad arguments', async () => {
    expect((await admin('noSuchMethod')).status).toBe(404);
    expect((await rawRequest(`${cli.emulator.adminUrl}/admin/requestCounts`)).status).toBe(405);
    const badJson = await admin('createSubscription', undefined, '{nope');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.code).toBe('InvalidJson');
    const missing = await admin('createResourceGroup', { subscriptionId: 'no-such-sub', name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('NotFound');
    const duplicateNode = await admin('createVirtualMachine', {
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'other-vm',
      nodeName: 'node-0',
    });
    expect(duplicateNode.status).toBe(400);
    expect(duplicateNode.json.error.code).toBe('AlreadyExists');
    const unknownIdentity = await admin('createVirtualMachine', {
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'vm-with-ghost',
      userAssignedIdentities: [
        '/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost',
      ],
    });
    expect(unknownIdentity.json.error.code).toBe('NotFound');
    // Nothing half-made: the same VM can be created once the mistake is fixed.
    const fixed = await admin('createVirtualMachine', {
      subscriptionId: world.subscriptionId,
      resourceGroup: world.resourceGroup,
      name: 'vm-with-ghost',
      imds: false,
    });
    expect(fixed.status).toBe(200);
  });

  test('bad flags are refused by commander', async () => {
    const out: string[] = [];
    await expect(
      runCli(['node', 'azure-emulator', '--vm-latency-ms', '-5'], { stdout: (l) => out.push(l) }),
    ).rejects.toThrow(CommanderError);
    await expect(
      runCli(['node', 'azure-emulator', '--concurrent-updates', 'sometimes'], { stdout: (l) => out.push(l) }),
    ).rejects.toThrow(CommanderError);
    expect(out.join('\n')).toMatch(/error/);
  });
});

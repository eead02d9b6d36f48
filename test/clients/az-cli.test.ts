/**
 * The az CLI (Debian's azure-cli 2.45) as a workload runs it inside a pod: `az login --identity` (system identity,
 * `--username <client id>`, `--username <resource id>`) and `az account get-access-token --resource ...`, from pod
 * network namespaces of the `--netns` sandbox. The CLI gets its managed-identity tokens from 169.254.169.254 (NMI,
 * through the real iptables redirect) and lists subscriptions at the emulated ARM, registered with `az cloud
 * register` and reached through a relay into the pod namespace, trusted via `REQUESTS_CA_BUNDLE`. Every test uses a
 * throwaway `AZURE_CONFIG_DIR` (a copy of one registered per pod in beforeAll, since a fresh config directory costs az
 * several seconds). Needs root, iproute2, iptables, curl and az; otherwise one skip line.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseNetns } from '@podid/netns-testkit';
import { type LoopbackRelay, relayIntoNamespace } from '../../apps/sandbox/src/namespace-relay.js';
import type { SandboxPod } from '../e2e/support/e2e-sandbox.js';
import { RESOURCE } from '../e2e/support/e2e-sandbox.js';
import {
  allOf,
  type Availability,
  azCli,
  claimsOfJwt,
  describeIfAvailable,
  runProcess,
} from './support/client-processes.js';
import { type IdentitySandbox, startIdentitySandbox, workloadEnv } from './support/identity-sandbox.js';

/** The resource az logs in for, i.e. the registered cloud's active_directory_resource_id (an audience ARM accepts). */
const ARM_RESOURCE = 'https://management.core.windows.net/';
const CLOUD = 'podid-sandbox';

function netnsAvailability(): Availability {
  const support = canUseNetns(['ip', 'iptables', 'curl']);
  return support.ok ? { ok: true } : { ok: false, reason: `needs root, ip, iptables and curl (${support.reason})` };
}

interface LoginEntry {
  environmentName: string;
  id: string;
  tenantId: string;
  isDefault: boolean;
  user: { name: string; type: string; assignedIdentityInfo?: string };
}

describeIfAvailable(
  'az login --identity and az account get-access-token from pod network namespaces',
  allOf(netnsAvailability(), azCli()),
  () => {
    let world: IdentitySandbox;
    let scratch: string;
    let caFile: string;
    const relays: LoopbackRelay[] = [];
    /** Per pod: a config directory with the emulated cloud registered and active. */
    const templates = new Map<string, string>();

    async function az(pod: SandboxPod, configDir: string, args: readonly string[]): Promise<unknown> {
      const run = await runProcess('az', [...args, '--output', 'json', '--only-show-errors'], {
        netns: pod.netns!,
        env: workloadEnv({
          AZURE_CONFIG_DIR: configDir,
          REQUESTS_CA_BUNDLE: caFile,
          AZURE_CORE_COLLECT_TELEMETRY: 'false',
          AZURE_CORE_NO_COLOR: 'true',
        }),
        timeoutMs: 60_000,
      });
      if (run.code !== 0) {
        throw new Error(
          `az ${args.join(' ')} in pod ${pod.name} failed (exit ${run.code}${run.timedOut ? ', killed at its deadline' : ''}): ${run.stderr.slice(-1500)}`,
        );
      }
      return run.stdout.trim() === '' ? undefined : JSON.parse(run.stdout);
    }

    async function registerCloud(pod: SandboxPod): Promise<void> {
      const relay = await relayIntoNamespace(pod.netns!, new URL(world.sandbox.azure.emulator.armUrl), scratch);
      relays.push(relay);
      const configDir = join(scratch, `template-${pod.name}`);
      await az(pod, configDir, [
        'cloud',
        'register',
        '--name',
        CLOUD,
        '--endpoint-resource-manager',
        `https://127.0.0.1:${relay.port}/`,
        '--endpoint-active-directory',
        world.sandbox.azure.emulator.aadUrl,
        '--endpoint-active-directory-resource-id',
        ARM_RESOURCE,
        '--endpoint-active-directory-graph-resource-id',
        'https://graph.windows.net/',
      ]);
      await az(pod, configDir, ['cloud', 'set', '--name', CLOUD]);
      templates.set(pod.name, configDir);
    }

    /** A throwaway config directory for one test, with the cloud registered. */
    function freshConfig(pod: SandboxPod): string {
      const dir = mkdtempSync(join(scratch, 'azure-config-'));
      cpSync(templates.get(pod.name)!, dir, { recursive: true });
      return dir;
    }

    async function accessToken(pod: SandboxPod, configDir: string, resource?: string) {
      const answer = (await az(pod, configDir, [
        'account',
        'get-access-token',
        ...(resource ? ['--resource', resource] : []),
      ])) as { accessToken: string; subscription: string; tenant: string; tokenType: string };
      expect(answer.tokenType).toBe('Bearer');
      const claims = claimsOfJwt(answer.accessToken);
      return { subscription: answer.subscription, aud: claims['aud'], appid: claims['appid'], oid: claims['oid'] };
    }

    beforeAll(async () => {
      world = await startIdentitySandbox();
      scratch = mkdtempSync(join(tmpdir(), 'podid-az-'));
      caFile = join(scratch, 'emulator-ca.pem');
      writeFileSync(caFile, world.sandbox.azure.emulator.caCertPem);
      await registerCloud(world.podOnlyA);
      await registerCloud(world.podTwo);
    }, 150_000);

    afterAll(async () => {
      for (const relay of relays) await relay.close();
      await world?.sandbox.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    test('az login --identity lists the emulated subscription; get-access-token answers with the pod identity', async () => {
      const pod = world.podOnlyA;
      const config = freshConfig(pod);
      const login = (await az(pod, config, ['login', '--identity'])) as LoginEntry[];
      expect(login.map((entry) => ({ ...entry, user: { name: entry.user.name, type: entry.user.type } }))).toEqual([
        expect.objectContaining({
          environmentName: CLOUD,
          id: world.sandbox.azure.world.subscriptionId,
          tenantId: world.sandbox.azure.world.tenantId,
          isDefault: true,
          user: { name: 'systemAssignedIdentity', type: 'servicePrincipal' },
        }),
      ]);
      expect(await accessToken(pod, config, RESOURCE)).toEqual({
        subscription: world.sandbox.azure.world.subscriptionId,
        aud: RESOURCE,
        appid: world.identityA.clientId,
        oid: world.identityA.principalId,
      });
      expect(await accessToken(pod, config)).toMatchObject({ aud: ARM_RESOURCE, appid: world.identityA.clientId });
    }, 120_000);

    test.each([
      ['client ID', 'MSIClient', (w: IdentitySandbox) => w.identityB.clientId],
      ['resource ID', 'MSIResource', (w: IdentitySandbox) => w.identityB.resourceId],
    ])(
      'az login --identity --username <%s> of identity B from a pod bound to A and B: tokens for B',
      async (_kind, infoPrefix, username) => {
        const pod = world.podTwo;
        const config = freshConfig(pod);
        const login = (await az(pod, config, ['login', '--identity', '--username', username(world)])) as LoginEntry[];
        expect(login).toHaveLength(1);
        expect(login[0]?.user).toEqual({
          name: 'userAssignedIdentity',
          type: 'servicePrincipal',
          assignedIdentityInfo: `${infoPrefix}-${username(world)}`,
        });
        expect(await accessToken(pod, config, RESOURCE)).toEqual({
          subscription: world.sandbox.azure.world.subscriptionId,
          aud: RESOURCE,
          appid: world.identityB.clientId,
          oid: world.identityB.principalId,
        });
      },
      120_000,
    );
  },
);

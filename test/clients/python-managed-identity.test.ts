/**
 * Python azure-identity's ManagedIdentityCredential (Debian's python3-azure, azure-identity 1.13) run inside pod
 * network namespaces of the `--netns` sandbox, with no endpoint configured: it asks 169.254.169.254, which NMI's
 * iptables redirect answers. Each selector a Python workload can use — none, client_id, resource ID (`mi_res_id` and
 * `msi_res_id`) and object_id — must get the token of exactly the identity it selected, and asking for an identity
 * the pod does not have must be refused. (msal's ManagedIdentityClient exists only from msal 1.29; Debian ships 1.21.)
 * Needs root, iproute2, iptables, curl and the Python modules; otherwise one skip line.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { canUseNetns } from '@podid/netns-testkit';
import { RESOURCE } from '../e2e/support/e2e-sandbox.js';
import {
  allOf,
  type Availability,
  describeIfAvailable,
  PYTHON,
  PYTHON_DIR,
  pythonModules,
  resultOf,
  runProcess,
} from './support/client-processes.js';
import { type IdentitySandbox, startIdentitySandbox, workloadEnv } from './support/identity-sandbox.js';

const SCRIPT = join(PYTHON_DIR, 'managed_identity.py');

function netnsAvailability(): Availability {
  const support = canUseNetns(['ip', 'iptables', 'curl']);
  return support.ok ? { ok: true } : { ok: false, reason: `needs root, ip, iptables and curl (${support.reason})` };
}

type Outcome = { ok: true; claims: Record<string, unknown> } | { ok: false; type: string; error: string };

describeIfAvailable(
  'Python azure-identity ManagedIdentityCredential from pod network namespaces',
  allOf(netnsAvailability(), pythonModules(['azure.identity'])),
  () => {
    let world: IdentitySandbox;

    beforeAll(async () => {
      world = await startIdentitySandbox();
    }, 120_000);

    afterAll(async () => {
      await world?.sandbox.close();
    });

    async function credentialFrom(pod: 'two' | 'only-a', selector: string, value?: string): Promise<Outcome> {
      const target = pod === 'two' ? world.podTwo : world.podOnlyA;
      const args = [SCRIPT, selector, ...(value === undefined ? [] : [value]), RESOURCE];
      const run = await runProcess(PYTHON, args, { netns: target.netns!, env: workloadEnv(), timeoutMs: 40_000 });
      return resultOf<Outcome>(run, `managed_identity.py ${selector} in pod ${pod}`);
    }

    /** Who the token names: its client (appid), principal (oid) and identity resource (xms_mirid). */
    function tokenSubject(outcome: Outcome) {
      if (!outcome.ok) throw new Error(`expected a token, the credential failed: ${outcome.type}: ${outcome.error}`);
      const { appid, oid, xms_mirid, aud } = outcome.claims;
      return { appid, oid, mirid: String(xms_mirid).toLowerCase(), aud };
    }

    function subjectOf(identity: { clientId: string; principalId: string; resourceId: string }) {
      return {
        appid: identity.clientId,
        oid: identity.principalId,
        mirid: identity.resourceId.toLowerCase(),
        aud: RESOURCE,
      };
    }

    test('no selector: the token of the pod identity', async () => {
      expect(tokenSubject(await credentialFrom('only-a', 'none'))).toEqual(subjectOf(world.identityA));
    }, 45_000);

    test.each([
      ['client_id', 'A', (w: IdentitySandbox) => w.identityA.clientId],
      ['client_id', 'B', (w: IdentitySandbox) => w.identityB.clientId],
      ['mi_res_id', 'B', (w: IdentitySandbox) => w.identityB.resourceId],
      ['msi_res_id', 'B', (w: IdentitySandbox) => w.identityB.resourceId],
    ])(
      '%s of identity %s from a pod bound to A and B gets that identity',
      async (selector, which, selectorValue) => {
        const identity = which === 'A' ? world.identityA : world.identityB;
        expect(tokenSubject(await credentialFrom('two', selector, selectorValue(world)))).toEqual(subjectOf(identity));
      },
      45_000,
    );

    // NMI honours object_id (issue 15 item 1): it serves the pod's identity whose token names that object ID.
    test("object_id of identity B from a pod bound to A and B gets B's token", async () => {
      expect(tokenSubject(await credentialFrom('two', 'object_id', world.identityB.principalId))).toEqual(
        subjectOf(world.identityB),
      );
    }, 45_000);

    test.each([
      ['client_id of an identity nobody has', 'two', 'client_id', () => '0d2c0a6e-9c1b-4b5e-8f3a-2f6c1d7e9a10'],
      ['object_id of an identity nobody has', 'two', 'object_id', () => '7b1e4c2a-3d5f-4a6b-9c8d-0e1f2a3b4c5d'],
      [
        'object_id of identity B from a pod bound only to A',
        'only-a',
        'object_id',
        (w: IdentitySandbox) => w.identityB.principalId,
      ],
    ] as const)(
      '%s is refused: no token',
      async (_name, pod, selector, selectorValue) => {
        const outcome = await credentialFrom(pod, selector, selectorValue(world));
        expect(outcome.ok ? { ok: true, appid: outcome.claims['appid'] } : { ok: false }).toEqual({ ok: false });
      },
      45_000,
    );
  },
);

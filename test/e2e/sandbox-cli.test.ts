/**
 * `npm start` as a user runs it: the sandbox CLI tells the demo story, then a user applies their own identity,
 * binding and pod with kubectl and fetches a token with curl from the pod's address; Ctrl-C stops everything.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { describeIfNetns } from '@podid/netns-testkit';
import { REPO_ROOT } from '../../apps/sandbox/src/component-launcher.js';
import { requireBuiltApps } from './support/e2e-sandbox.js';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'apps/sandbox/dist/main.js');

let child: ChildProcess | undefined;
let output = '';
// The CLI keeps its work directory (logs) for the user; the test gives it one and removes it.
const workDir = mkdtempSync(join(tmpdir(), 'podid-sandbox-cli-'));

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
});

async function waitForOutput(text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output.includes(text)) {
    if (child?.exitCode !== null) throw new Error(`the sandbox exited before printing "${text}":\n${output}`);
    if (Date.now() > deadline) throw new Error(`the sandbox did not print "${text}" in ${timeoutMs} ms:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function hasKubectl(): boolean {
  return ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].some((path) => existsSync(path));
}

describe('npm start (the sandbox CLI)', () => {
  test('--help describes the options', async () => {
    requireBuiltApps();
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx turbo run build\` first`);
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    expect(stdout).toContain('--arm-latency <duration>');
    expect(stdout).toContain('--netns');
  });

  test('tells the demo story, serves kubectl and curl users, and stops cleanly on Ctrl-C', async () => {
    requireBuiltApps();
    child = spawn(process.execPath, [CLI, '--work-dir', join(workDir, 'loopback')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitForOutput('Ctrl-C stops everything.', 90_000);
    expect(output).toMatch(/token for https:\/\/vault\.azure\.net fetched from 127\.\d+\.\d+\.\d+ .*HTTP 200/);
    expect(output).toMatch(/AzureAssignedIdentity .* is Assigned/);
    // The federated (type 3) pod of the demo, served by token exchange, with the federated app's claims.
    expect(output).toMatch(
      /\[type 3\] token for https:\/\/vault\.azure\.net fetched from 127\.\d+\.\d+\.\d+ .*HTTP 200/,
    );
    expect(output).toMatch(/\[type 3\] {3}xms_mirid \S+\/userAssignedIdentities\/federated-app/);

    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)?.[1];
    expect(kubeconfig).toBeDefined();
    const nmiUrls = [...output.matchAll(/^\s+(\S+)\s+(?:vmss|vm)\s+NMI (http:\/\/\S+)$/gm)].map((m) => ({
      node: m[1]!,
      url: m[2]!,
    }));
    expect(nmiUrls.length).toBe(3);

    if (hasKubectl()) {
      const env = { ...process.env, KUBECONFIG: kubeconfig! };
      const clientId = /identity-2\s+clientID (\S+)/.exec(output)?.[1];
      const resourceId = /identity-2[\s\S]*?resourceID (\S+)/.exec(output)?.[1];
      const manifest = [
        'apiVersion: aadpodidentity.k8s.io/v1',
        'kind: AzureIdentity',
        'metadata: { name: mine }',
        `spec: { type: 0, resourceID: "${resourceId}", clientID: "${clientId}" }`,
        '---',
        'apiVersion: aadpodidentity.k8s.io/v1',
        'kind: AzureIdentityBinding',
        'metadata: { name: mine }',
        'spec: { azureIdentity: mine, selector: mine }',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: { name: mine, labels: { aadpodidbinding: mine } }',
        'spec: { containers: [ { name: app, image: busybox } ] }',
      ].join('\n');
      const apply = spawn('kubectl', ['apply', '-f', '-'], { env });
      apply.stdin.end(manifest);
      await new Promise((resolve) => apply.once('exit', resolve));
      let podIP = '';
      let nodeName = '';
      const deadline = Date.now() + 30_000;
      while (podIP === '' && Date.now() < deadline) {
        const { stdout } = await run(
          'kubectl',
          ['get', 'pod', 'mine', '-o', 'jsonpath={.status.podIP} {.spec.nodeName}'],
          {
            env,
          },
        );
        [podIP = '', nodeName = ''] = stdout.trim().split(' ');
        if (podIP === '') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(podIP).toMatch(/^127\./);
      const nmi = nmiUrls.find((entry) => entry.node === nodeName);
      expect(nmi).toBeDefined();
      // As the user would: curl from the pod's address (NMI waits for the assignment itself).
      const { stdout: token } = await run('curl', [
        '-s',
        '--max-time',
        '30',
        '-H',
        'Metadata: true',
        '--interface',
        podIP,
        `${nmi!.url}/metadata/identity/oauth2/token?resource=https://storage.azure.com`,
      ]);
      const body = JSON.parse(token) as { access_token?: string };
      const claims = JSON.parse(Buffer.from(body.access_token!.split('.')[1]!, 'base64url').toString()) as {
        appid?: string;
      };
      expect(claims.appid).toBe(clientId);
    } else {
      console.warn('SKIP kubectl/curl part of the sandbox CLI test: kubectl is not installed');
    }

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    // The NMIs are gone: their ports no longer answer.
    for (const { url } of nmiUrls) {
      await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
  }, 150_000);
});

describeIfNetns(
  'npm start -- --netns',
  () => {
    test('the demo pod gets its token through the iptables redirect, and Ctrl-C removes every namespace', async () => {
      requireBuiltApps();
      let text = '';
      const netnsChild = spawn(process.execPath, [CLI, '--netns', '--work-dir', join(workDir, 'netns')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (chunk: Buffer) => {
        text += chunk.toString();
      };
      netnsChild.stdout.on('data', collect);
      netnsChild.stderr.on('data', collect);
      const exited = new Promise<number | null>((resolve) => netnsChild.once('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 90_000;
        while (!text.includes('Ctrl-C stops everything.')) {
          if (netnsChild.exitCode !== null || Date.now() > deadline) throw new Error(`no prompt:\n${text}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(text).toMatch(/token for https:\/\/vault\.azure\.net fetched from 10\.\d+\.\d+\.\d+ .*HTTP 200/);
        expect(text).toMatch(
          /\[type 3\] token for https:\/\/vault\.azure\.net fetched from 10\.\d+\.\d+\.\d+ .*HTTP 200/,
        );
        const namespaces = [...text.matchAll(/in network namespace (\S+)/g)].map((m) => m[1]!);
        expect(namespaces.length).toBe(3);
        netnsChild.kill('SIGINT');
        expect(await exited).toBe(0);
        const { stdout } = await run('ip', ['netns', 'list']);
        const prefix = namespaces[0]!.replace(/-n\d+$/, '');
        expect(stdout).not.toContain(prefix);
      } finally {
        if (netnsChild.exitCode === null) netnsChild.kill('SIGKILL');
      }
    }, 120_000);
  },
  { binaries: ['ip', 'iptables', 'curl'] },
);

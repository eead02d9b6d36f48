/**
 * The real kubectl against the emulator: apply (client-side, three-way merge with the last-applied annotation),
 * get with server-side printer columns, get -w, label, patch, delete, api-resources. kubectl's stderr must stay
 * free of discovery and OpenAPI warnings.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';

const kubectlFound = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!kubectlFound) console.log('SKIP kube-emulator kubectl tests: kubectl not found on PATH');
const describeWithKubectl = kubectlFound ? describe : describe.skip;

const crdDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/crds');

let emulator: KubeEmulator;
let workDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      ['--cache-dir', join(workDir, 'cache'), ...args],
      { env: { ...process.env, KUBECONFIG: emulator.kubeconfigPath, HOME: workDir } },
      (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** kubectl succeeded and said nothing on stderr (no discovery, OpenAPI or deprecation warnings). */
async function ok(...args: string[]): Promise<string> {
  const run = await kubectl(...args);
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return run.stdout;
}

function writeYaml(name: string, text: string): string {
  const file = join(workDir, name);
  writeFileSync(file, text);
  return file;
}

const identityYaml = (clientID: string, extraSpec = '') => `apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentity
metadata:
  name: demo-id
  namespace: demo
spec:
  type: 0
  clientID: ${clientID}
  resourceID: /subscriptions/sub/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/demo-id
${extraSpec}`;

const bindingYaml = `apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentityBinding
metadata:
  name: demo-binding
  namespace: demo
spec:
  azureIdentity: demo-id
  selector: demo
`;

const podYaml = (image: string, env: string) => `apiVersion: v1
kind: Pod
metadata:
  name: demo-pod
  namespace: demo
  labels:
    aadpodidbinding: demo
spec:
  containers:
  - name: app
    image: ${image}
    env:
${env}
  - name: sidecar
    image: sidecar:1
`;

function rowsOf(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describeWithKubectl('kubectl against the emulator', () => {
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'kube-emulator-kubectl-'));
    emulator = await startKubeEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('a custom resource applied before its CRD fails like on a real cluster (no matches for kind)', async () => {
    const file = writeYaml('early.yaml', identityYaml('early').replace('namespace: demo', 'namespace: default'));
    const run = await kubectl('apply', '-f', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no matches for kind "AzureIdentity" in version "aadpodidentity.k8s.io/v1"');
    expect(run.stderr).not.toContain('error validating');
  });

  test("apply -f of podid's CRD manifests, then api-resources lists the 4 namespaced plurals", async () => {
    const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(files).toHaveLength(4);
    const out = await ok('apply', ...files.flatMap((f) => ['-f', join(crdDir, f)]));
    expect(out).toContain(
      'customresourcedefinition.apiextensions.k8s.io/azureidentities.aadpodidentity.k8s.io created',
    );
    const again = await ok('apply', '-k', crdDir);
    expect(
      again
        .trim()
        .split('\n')
        .every((l) => l.endsWith(' unchanged')),
    ).toBe(true);

    const resources = rowsOf(await ok('api-resources', '--api-group=aadpodidentity.k8s.io'));
    expect(resources[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const byName = new Map(resources.slice(1).map((r) => [r[0], r]));
    expect([...byName.keys()].sort()).toEqual([
      'azureassignedidentities',
      'azureidentities',
      'azureidentitybindings',
      'azurepodidentityexceptions',
    ]);
    for (const row of byName.values())
      expect(row.slice(1)).toEqual(['aadpodidentity.k8s.io/v1', 'true', expect.stringMatching(/^Azure/)]);
  });

  test('apply of an AzureIdentity, AzureIdentityBinding and Pod; get prints the printer columns', async () => {
    // Not `kubectl create namespace`: typed generators send protobuf, which the emulator refuses (415, see README).
    await ok('apply', '-f', writeYaml('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n'));
    const id = writeYaml('identity.yaml', identityYaml('00000000-0000-0000-0000-00000000000a'));
    const binding = writeYaml('binding.yaml', bindingYaml);
    const pod = writeYaml('pod.yaml', podYaml('app:1', '    - name: A\n      value: "1"'));
    const out = await ok('apply', '-f', id, '-f', binding, '-f', pod);
    expect(out).toContain('azureidentity.aadpodidentity.k8s.io/demo-id created');
    expect(out).toContain('azureidentitybinding.aadpodidentity.k8s.io/demo-binding created');
    expect(out).toContain('pod/demo-pod created');

    const ids = rowsOf(await ok('get', 'azureidentities', '-n', 'demo'));
    expect(ids[0]).toEqual(['NAME', 'TYPE', 'CLIENTID', 'AGE']);
    expect(ids[1]?.slice(0, 3)).toEqual(['demo-id', '0', '00000000-0000-0000-0000-00000000000a']);
    const bindings = rowsOf(await ok('get', 'azureidentitybinding', '-n', 'demo'));
    expect(bindings[0]).toEqual(['NAME', 'AZUREIDENTITY', 'SELECTOR', 'AGE']);
    expect(bindings[1]?.slice(0, 3)).toEqual(['demo-binding', 'demo-id', 'demo']);
    const pods = rowsOf(await ok('get', 'po', '-n', 'demo'));
    expect(pods[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(pods[1]?.slice(0, 4)).toEqual(['demo-pod', '0/2', 'Pending', '0']);
  });

  test('re-apply: strategic merge for the Pod, merge patch for the CR, removed fields are removed', async () => {
    writeYaml('pod.yaml', podYaml('app:2', '    - name: A\n      value: "2"\n    - name: B\n      value: "b"'));
    expect(await ok('apply', '-f', join(workDir, 'pod.yaml'))).toContain('pod/demo-pod configured');
    const pod = JSON.parse(await ok('get', 'pod', 'demo-pod', '-n', 'demo', '-o', 'json'));
    expect(pod.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`)).toEqual([
      'app=app:2',
      'sidecar=sidecar:1',
    ]);
    expect(pod.spec.containers[0].env).toEqual([
      { name: 'A', value: '2' },
      { name: 'B', value: 'b' },
    ]);
    expect(pod.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"app:2"');

    writeYaml('identity.yaml', identityYaml('00000000-0000-0000-0000-00000000000b', '  tenantID: t1\n'));
    expect(await ok('apply', '-f', join(workDir, 'identity.yaml'))).toContain(
      'azureidentity.aadpodidentity.k8s.io/demo-id configured',
    );
    writeYaml('identity.yaml', identityYaml('00000000-0000-0000-0000-00000000000b'));
    await ok('apply', '-f', join(workDir, 'identity.yaml'));
    const id = JSON.parse(await ok('get', 'azureidentity', 'demo-id', '-n', 'demo', '-o', 'json'));
    expect(id.spec.clientID).toBe('00000000-0000-0000-0000-00000000000b');
    expect(id.spec.tenantID).toBeUndefined();
    expect(await ok('apply', '-f', join(workDir, 'identity.yaml'))).toContain('unchanged');
  });

  test('label and patch --type merge', async () => {
    expect(await ok('label', 'azureidentity', 'demo-id', '-n', 'demo', 'team=blue')).toContain('labeled');
    expect(await ok('label', 'pod', 'demo-pod', '-n', 'demo', 'env=dev')).toContain('labeled');
    expect(await ok('get', 'pods', '-n', 'demo', '-l', 'env=dev', '-o', 'name')).toBe('pod/demo-pod\n');
    expect(await ok('get', 'azureidentities', '-n', 'demo', '-l', 'team!=blue', '-o', 'name')).toBe('');
    await ok(
      'patch',
      'azureidentity',
      'demo-id',
      '-n',
      'demo',
      '--type',
      'merge',
      '-p',
      '{"spec":{"clientID":"patched-id"}}',
    );
    expect(await ok('get', 'azureidentity', 'demo-id', '-n', 'demo', '-o', 'jsonpath={.spec.clientID}')).toBe(
      'patched-id',
    );
    await ok(
      'patch',
      'pod',
      'demo-pod',
      '-n',
      'demo',
      '-p',
      '{"spec":{"containers":[{"name":"sidecar","image":"sidecar:2"}]}}',
    );
    expect(await ok('get', 'pod', 'demo-pod', '-n', 'demo', '-o', 'jsonpath={.spec.containers[*].image}')).toBe(
      'app:2 sidecar:2',
    );
  });

  test('kubectl uses aggregated discovery: only /api and /apis are fetched', async () => {
    // A fresh cache directory forces discovery; -v=6 logs each request on stderr.
    const run = await new Promise<Run>((done) => {
      execFile(
        'kubectl',
        ['--cache-dir', join(workDir, 'fresh-cache'), 'api-resources', '-v=6'],
        { env: { ...process.env, KUBECONFIG: emulator.kubeconfigPath, HOME: workDir } },
        (err, stdout, stderr) => done({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(0);
    const paths = [...run.stderr.matchAll(/GET http:\/\/[^/]+(\/[^? ]*)/g)].map((m) => m[1]);
    expect(paths).toEqual(['/api', '/apis']);
    expect(run.stdout).toContain('azureidentities');
  });

  test('get -w prints the current rows, then changes', async () => {
    const child = spawn(
      'kubectl',
      ['--cache-dir', join(workDir, 'cache'), 'get', 'azureidentities', '-n', 'demo', '-w'],
      {
        env: { ...process.env, KUBECONFIG: emulator.kubeconfigPath, HOME: workDir },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const lines = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (stdout.trim().split('\n').length < n || stdout.trim() === '') {
        if (Date.now() > deadline) throw new Error(`kubectl get -w printed only: ${stdout} ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await lines(2);
      await ok(
        'patch',
        'azureidentity',
        'demo-id',
        '-n',
        'demo',
        '--type',
        'merge',
        '-p',
        '{"spec":{"clientID":"watched-id"}}',
      );
      await lines(3);
    } finally {
      child.kill();
    }
    const rows = rowsOf(stdout);
    expect(rows[0]).toEqual(['NAME', 'TYPE', 'CLIENTID', 'AGE']);
    expect(rows[1]?.slice(0, 3)).toEqual(['demo-id', '0', 'patched-id']);
    expect(rows[2]?.slice(0, 3)).toEqual(['demo-id', '0', 'watched-id']);
    expect(stderr).toBe('');
  });

  test('typed generators (protobuf bodies): create namespace, configmap, secret, serviceaccount', async () => {
    expect(await ok('create', 'namespace', 'generated')).toBe('namespace/generated created\n');
    await ok('create', 'configmap', 'cfg', '-n', 'generated', '--from-literal=a=1', '--from-literal=b=2');
    await ok('create', 'secret', 'generic', 'sec', '-n', 'generated', '--from-literal=password=s3cret');
    await ok('create', 'serviceaccount', 'robot', '-n', 'generated');
    expect(JSON.parse(await ok('get', 'cm', 'cfg', '-n', 'generated', '-o', 'jsonpath={.data}'))).toEqual({
      a: '1',
      b: '2',
    });
    const secret = JSON.parse(await ok('get', 'secret', 'sec', '-n', 'generated', '-o', 'json'));
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cret');
    expect(secret.type).toBe('Opaque');
    // `default` comes from the service-account controller, as on a real cluster.
    expect(await ok('get', 'sa', '-n', 'generated', '-o', 'name')).toBe(
      'serviceaccount/default\nserviceaccount/robot\n',
    );
  });

  test('apply --server-side creates and updates', async () => {
    const cm = writeYaml(
      'cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: demo\ndata:\n  a: "1"\n',
    );
    expect(await ok('apply', '--server-side', '-f', cm)).toContain('configmap/ssa serverside-applied');
    writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: demo\ndata:\n  a: "2"\n');
    await ok('apply', '--server-side', '-f', cm);
    expect(await ok('get', 'cm', 'ssa', '-n', 'demo', '-o', 'jsonpath={.data.a}')).toBe('2');
  });

  test('delete removes objects; a missing one is a NotFound error', async () => {
    expect(await ok('delete', '-f', join(workDir, 'binding.yaml'))).toContain(
      'azureidentitybinding.aadpodidentity.k8s.io "demo-binding" deleted',
    );
    expect(await ok('delete', 'pod', 'demo-pod', '-n', 'demo')).toContain('pod "demo-pod" deleted');
    const missing = await kubectl('get', 'pod', 'demo-pod', '-n', 'demo');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): pods "demo-pod" not found');
    await ok('delete', 'namespace', 'demo');
    const ns = await kubectl('get', 'namespace', 'demo', '-o', 'name');
    expect(ns.code === 1 || ns.stdout === 'namespace/demo\n').toBe(true);
  });
});

/**
 * What a real `helm install/upgrade/uninstall` needs from the API server beyond the rest of this package's tests:
 * Helm's release storage replaces its Secret with an empty uid (no precondition), charts render PodDisruptionBudgets
 * (policy/v1), and `helm upgrade` strategic-merge-patches Deployment and DaemonSet pod templates.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from './start-emulator.js';

let emulator: KubeEmulator;
const token = () => emulator.kubeconfig.users[0]?.user.token ?? '';
const call = (method: string, path: string, body?: unknown) =>
  fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  emulator = await startKubeEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe('Helm release storage', () => {
  test('a PUT whose metadata.uid is "" replaces the Secret (an empty uid is no precondition)', async () => {
    const path = '/api/v1/namespaces/default/secrets';
    const created = await call('POST', path, {
      metadata: { name: 'sh.helm.release.v1.r.v1', labels: { owner: 'helm', status: 'pending-install' } },
      type: 'helm.sh/release.v1',
      data: { release: 'YQ==' },
    });
    expect(created.status).toBe(201);
    const uid = ((await created.json()) as { metadata: { uid: string } }).metadata.uid;
    const replaced = await call('PUT', `${path}/sh.helm.release.v1.r.v1`, {
      metadata: { name: 'sh.helm.release.v1.r.v1', uid: '', labels: { owner: 'helm', status: 'deployed' } },
      type: 'helm.sh/release.v1',
      data: { release: 'Yg==' },
    });
    expect(replaced.status).toBe(200);
    const body = (await replaced.json()) as { metadata: { uid: string; labels: Record<string, string> } };
    expect(body.metadata.uid).toBe(uid);
    expect(body.metadata.labels['status']).toBe('deployed');
  });

  test('a PUT with a different, non-empty uid is still refused with 409', async () => {
    const path = '/api/v1/namespaces/default/secrets';
    await call('POST', path, { metadata: { name: 'uid-guarded' }, data: {} });
    const refused = await call('PUT', `${path}/uid-guarded`, { metadata: { name: 'uid-guarded', uid: 'other' } });
    expect(refused.status).toBe(409);
  });
});

describe('PodDisruptionBudget', () => {
  test('policy/v1 poddisruptionbudgets are served, stored and listed', async () => {
    const path = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
    const created = await call('POST', path, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'mic-pdb' },
      spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/component': 'mic' } } },
    });
    expect(created.status).toBe(201);
    const list = (await (await call('GET', path)).json()) as { kind: string; items: Array<{ spec: unknown }> };
    expect(list.kind).toBe('PodDisruptionBudgetList');
    expect(list.items.map((item) => item.spec)).toEqual([
      { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/component': 'mic' } } },
    ]);
    const discovery = (await (await call('GET', '/apis/policy/v1')).json()) as { resources: Array<{ name: string }> };
    expect(discovery.resources.map((r) => r.name)).toContain('poddisruptionbudgets');
  });
});

describe('strategic merge patch of a workload pod template (what helm upgrade sends)', () => {
  test('containers, env, volumes and mounts merge by their keys; $patch: delete removes one entry', async () => {
    const path = '/apis/apps/v1/namespaces/default/daemonsets';
    const created = await call('POST', path, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'nmi' },
      spec: {
        selector: { matchLabels: { app: 'nmi' } },
        template: {
          metadata: { labels: { app: 'nmi', tier: 'node' } },
          spec: {
            containers: [
              {
                name: 'nmi',
                image: 'old:1',
                imagePullPolicy: 'IfNotPresent',
                env: [{ name: 'NODE_NAME', value: 'n' }],
                volumeMounts: [{ name: 'lock', mountPath: '/run/xtables.lock' }],
              },
            ],
            volumes: [
              { name: 'lock', hostPath: { path: '/run/xtables.lock' } },
              { name: 'old', hostPath: { path: '/old' } },
            ],
          },
        },
      },
    });
    expect(created.status).toBe(201);
    const patched = await fetch(`${emulator.url}${path}/nmi`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({
        spec: {
          template: {
            metadata: { labels: { tier: null } },
            spec: {
              containers: [{ name: 'nmi', image: 'new:2', env: [{ name: 'FORCENAMESPACED', value: 'false' }] }],
              '$setElementOrder/volumes': [{ name: 'lock' }, { name: 'config' }],
              volumes: [
                { name: 'config', hostPath: { path: '/etc/default/kubelet' } },
                { name: 'old', $patch: 'delete' },
              ],
            },
          },
        },
      }),
    });
    expect(patched.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: read field by field
    const pod = ((await patched.json()) as any).spec.template;
    expect(pod.metadata.labels).toEqual({ app: 'nmi' });
    expect(pod.spec.containers).toEqual([
      {
        name: 'nmi',
        image: 'new:2',
        imagePullPolicy: 'IfNotPresent',
        env: [
          { name: 'NODE_NAME', value: 'n' },
          { name: 'FORCENAMESPACED', value: 'false' },
        ],
        volumeMounts: [{ name: 'lock', mountPath: '/run/xtables.lock' }],
      },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: 'lock', hostPath: { path: '/run/xtables.lock' } },
      { name: 'config', hostPath: { path: '/etc/default/kubelet' } },
    ]);
  });
});

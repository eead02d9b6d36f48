/**
 * The Python kubernetes client (Debian's python3-kubernetes 22.6, run by /usr/bin/python3) against the
 * kube-emulator with podid's CRDs: AzureIdentity CRUD through CustomObjectsApi, paging with limit/continue, label
 * and field selectors, and a watch that resumes from the resourceVersion it last saw. Each scenario runs in its own
 * namespace; the Python side reports what it observed and the assertions here judge it. Skips with one line when
 * the Python modules are missing.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { customResourceDefinitions } from '@podid/crd-types';
import { type KubeEmulator, startKubeEmulator } from '@podid/kube-emulator';
import { KubeRest } from '../../apps/sandbox/src/kube-rest.js';
import {
  describeIfAvailable,
  PYTHON,
  PYTHON_DIR,
  pythonModules,
  resultOf,
  runProcess,
} from './support/client-processes.js';

const SCRIPT = join(PYTHON_DIR, 'kube_scenarios.py');

describeIfAvailable('Python kubernetes client against the kube-emulator', pythonModules(['kubernetes']), () => {
  let kube: KubeEmulator;
  let rest: KubeRest;

  beforeAll(async () => {
    kube = await startKubeEmulator();
    rest = new KubeRest(kube.url, kube.kubeconfig.users[0]?.user.token ?? '');
    for (const crd of customResourceDefinitions) {
      await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
  });

  afterAll(async () => {
    await kube?.close();
  });

  /** Runs one scenario in a fresh namespace and answers what it observed. */
  async function scenario<T>(name: string): Promise<T> {
    const namespace = `py-${name}`;
    await rest.ensure('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const run = await runProcess(PYTHON, [SCRIPT, name, kube.kubeconfigPath, namespace], { timeoutMs: 45_000 });
    const result = resultOf<T & { error?: string; trace?: string }>(run, `kube_scenarios.py ${name}`);
    if (result.error !== undefined) throw new Error(`${name} failed in Python: ${result.error}\n${result.trace}`);
    return result;
  }

  test('CustomObjectsApi: create, get, list by label, merge patch, replace, stale replace, delete', async () => {
    const result = await scenario<Record<string, unknown>>('crd-crud');
    expect(result).toMatchObject({
      created: { kind: 'AzureIdentity' },
      duplicateCreate: 409,
      listed: ['py-crud'],
      patchedClientID: '22222222-2222-2222-2222-222222222222',
      patchedResourceVersionChanged: true,
      replacedClientID: '33333333-3333-3333-3333-333333333333',
      staleReplace: 409,
      // A custom resource's DELETE answers the deleted object, as the real server's CR handler does.
      deleteAnswer: { kind: 'AzureIdentity', name: 'py-crud' },
      afterDelete: 404,
    });
    const created = result['created'] as { uid: string; resourceVersion: string };
    expect(created.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(result['got']).toEqual({ uid: created.uid, clientID: '11111111-1111-1111-1111-111111111111' });
    // What Python wrote is what the server holds (deleted at the end).
    expect(await rest.get('azureidentities', 'py-crd-crud', 'py-crud')).toBeUndefined();
  }, 60_000);

  test('paging: limit=2 walks five ConfigMaps in three pages with continue tokens; a bad token is 400', async () => {
    const result = await scenario<{
      pages: string[][];
      remaining: (number | null)[];
      lastContinue: string | null;
      badContinue: number;
    }>('paging');
    expect(result.pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(result.pages.flat().sort()).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(result.remaining).toEqual([3, 1, null]);
    expect(result.lastContinue).toBeNull();
    expect(result.badContinue).toBe(400);
  }, 60_000);

  test('label selectors (equality, set-based, existence) and field selectors, alone and combined', async () => {
    const result = await scenario<Record<string, unknown>>('selectors');
    expect(result).toEqual({
      'app=web': ['web-back', 'web-front'],
      'app=web,tier!=backend': ['web-front'],
      'tier in (frontend,backend)': ['web-back', 'web-front'],
      '!tier': ['db'],
      tier: ['web-back', 'web-front'],
      'metadata.name=db': ['db'],
      'spec.nodeName=node-b': ['db', 'web-back'],
      'spec.nodeName=node-b,app=web': ['web-back'],
      'spec.nodeName!=node-b': ['web-front'],
      badLabelSelector: 400,
      unknownField: 400,
    });
  }, 60_000);

  // Python sends `watch=True`: this needs the kube-emulator to parse booleans as the real server does (issue 15 item 8).
  test('watch from a list resourceVersion, then resume from the last event after changes made while not watching', async () => {
    const result = await scenario<{
      listVersion: string;
      firstEvents: { type: string; name: string }[];
      resumedFrom: string | null;
      secondEvents: { type: string; name: string }[];
    }>('watch-resume');
    expect(result.firstEvents).toEqual([
      { type: 'ADDED', name: 'watched-1' },
      { type: 'ADDED', name: 'watched-2' },
    ]);
    expect(Number(result.resumedFrom)).toBeGreaterThan(Number(result.listVersion));
    expect(result.secondEvents).toEqual([
      { type: 'MODIFIED', name: 'watched-1' },
      { type: 'DELETED', name: 'watched-2' },
    ]);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeEmulator } from '@podid/kube-emulator';
import type { KubeConnection } from '../connection/kube-connection.js';
import { connectTo, rawRequest, startEmulatorWithCrds } from '../test-support/emulator-harness.js';
import { removeNodeTaint } from './node-taints.js';

const STARTUP_TAINT = { key: 'podid.io/nmi-not-ready', effect: 'NoSchedule' };
const OTHER_TAINT = { key: 'example.com/dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('removeNodeTaint against the kube-emulator', () => {
  let emulator: KubeEmulator;
  let connection: KubeConnection;
  const createNode = (name: string, taints: object[]) =>
    rawRequest(emulator, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: { taints },
    });
  const taintsOf = async (name: string) =>
    ((await rawRequest(emulator, 'GET', `/api/v1/nodes/${name}`)) as { spec?: { taints?: object[] } }).spec?.taints ??
    [];

  beforeAll(async () => {
    emulator = await startEmulatorWithCrds();
    connection = connectTo(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  test('removes only the named taint and keeps the others', async () => {
    await createNode('node-a', [OTHER_TAINT, STARTUP_TAINT]);
    const result = await removeNodeTaint({ connection, nodeName: 'node-a', key: STARTUP_TAINT.key });
    expect(result).toEqual({ removed: true, conflicts: 0 });
    expect(await taintsOf('node-a')).toEqual([OTHER_TAINT]);
  });

  test('a node without the taint is left alone', async () => {
    await createNode('node-b', [OTHER_TAINT]);
    const before = (await rawRequest(emulator, 'GET', '/api/v1/nodes/node-b')) as {
      metadata: { resourceVersion: string };
    };
    expect(await removeNodeTaint({ connection, nodeName: 'node-b', key: STARTUP_TAINT.key })).toEqual({
      removed: false,
      conflicts: 0,
    });
    const after = (await rawRequest(emulator, 'GET', '/api/v1/nodes/node-b')) as {
      metadata: { resourceVersion: string };
    };
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  test('a taint added by someone else between read and patch is not lost: the test op fails, it reads again', async () => {
    await createNode('node-c', [STARTUP_TAINT]);
    let raced = false;
    const racing: Pick<KubeConnection, 'getJson' | 'request'> = {
      request: connection.request,
      async getJson(path, query) {
        const node = await connection.getJson(path, query);
        if (!raced) {
          raced = true;
          // Another controller adds a taint after our read: a blind replace would drop it.
          const current = (await rawRequest(emulator, 'GET', '/api/v1/nodes/node-c')) as { spec: object };
          await rawRequest(emulator, 'PUT', '/api/v1/nodes/node-c', {
            ...current,
            spec: { ...current.spec, taints: [STARTUP_TAINT, OTHER_TAINT] },
          });
        }
        return node;
      },
    };
    const result = await removeNodeTaint({ connection: racing, nodeName: 'node-c', key: STARTUP_TAINT.key });
    expect(result).toEqual({ removed: true, conflicts: 1 });
    expect(await taintsOf('node-c')).toEqual([OTHER_TAINT]);
  });

  test('a missing node is a KUBE_REQUEST_FAILED error with status 404', async () => {
    await expect(removeNodeTaint({ connection, nodeName: 'nope', key: STARTUP_TAINT.key })).rejects.toMatchObject({
      code: 'KUBE_REQUEST_FAILED',
      statusCode: 404,
    });
  });
});

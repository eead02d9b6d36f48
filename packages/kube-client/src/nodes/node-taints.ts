import { type KubeConnection, PatchType } from '../connection/kube-connection.js';
import { describeError, httpStatusOf, isNotFound, KubeClientError } from '../errors.js';

/** A Node taint as the API server sends it (wire format, so a JSON patch `test` compares it byte for byte). */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
  readonly timeAdded?: string;
}

export interface RemoveNodeTaintOptions {
  readonly connection: Pick<KubeConnection, 'getJson' | 'request'>;
  readonly nodeName: string;
  readonly key: string;
  /** Default `NoSchedule`. */
  readonly effect?: string;
  /** Tries when another writer changed the taints between our read and our patch (default 5). */
  readonly maxAttempts?: number;
}

export interface RemoveNodeTaintResult {
  /** False when the node did not carry the taint (nothing to do). */
  readonly removed: boolean;
  /** Patches refused because the taint list had changed since it was read. */
  readonly conflicts: number;
}

function taintsOf(node: unknown): NodeTaint[] {
  const spec = (node as { spec?: { taints?: unknown } } | undefined)?.spec;
  return Array.isArray(spec?.taints) ? (spec.taints as NodeTaint[]) : [];
}

/**
 * Removes one taint (key + effect) from a Node with a JSON patch that first `test`s the whole taint list it read: if
 * anything else added or removed a taint meanwhile, the API server refuses the patch (422) instead of overwriting that
 * change, and the node is read again and the patch retried. A node without the taint is left untouched.
 */
export async function removeNodeTaint(options: RemoveNodeTaintOptions): Promise<RemoveNodeTaintResult> {
  const effect = options.effect ?? 'NoSchedule';
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const path = `/api/v1/nodes/${encodeURIComponent(options.nodeName)}`;
  let conflicts = 0;
  for (let attempt = 1; ; attempt++) {
    let node: unknown;
    try {
      node = await options.connection.getJson(path);
    } catch (error) {
      const what = isNotFound(error) ? 'node not found' : describeError(error);
      throw new KubeClientError('KUBE_REQUEST_FAILED', `reading node ${options.nodeName}: ${what}`, {
        ...(httpStatusOf(error) !== undefined ? { statusCode: httpStatusOf(error) as number } : {}),
        cause: error,
      });
    }
    const taints = taintsOf(node);
    const kept = taints.filter((taint) => !(taint.key === options.key && taint.effect === effect));
    if (kept.length === taints.length) return { removed: false, conflicts };
    const patch = [
      { op: 'test', path: '/spec/taints', value: taints },
      { op: 'replace', path: '/spec/taints', value: kept },
    ];
    try {
      await options.connection.request({ method: 'PATCH', path, body: patch, contentType: PatchType.JsonPatch });
      return { removed: true, conflicts };
    } catch (error) {
      const status = httpStatusOf(error);
      // 422: the `test` failed (someone changed the taints); 409: a write raced ours. Read again and retry.
      if ((status === 422 || status === 409) && attempt < maxAttempts) {
        conflicts++;
        continue;
      }
      throw new KubeClientError(
        'KUBE_REQUEST_FAILED',
        `removing taint ${options.key}:${effect} from node ${options.nodeName}: ${describeError(error)}`,
        { ...(status !== undefined ? { statusCode: status } : {}), cause: error },
      );
    }
  }
}

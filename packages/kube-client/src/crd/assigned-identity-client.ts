import {
  ASSIGNED_IDENTITY_FINALIZER,
  type AssignedIdentityState,
  type AzureAssignedIdentity,
  CrdKind,
  parseAzureAssignedIdentity,
} from '@podid/crd-types';
import { httpStatusOf, isNotFound } from '../errors.js';
import {
  CustomResourceClient,
  type CustomResourceClientOptions,
  type JsonPatchOperation,
} from './custom-resource-client.js';

/** Attempts at removing the finalizer when someone else keeps changing the list under us. */
const FINALIZER_REMOVAL_ATTEMPTS = 3;

/**
 * AzureAssignedIdentity writes with MIC's semantics (spec §2.12): created with the finalizer, status changed by a JSON
 * patch of `/status/status` on the object itself (this CRD has no status subresource), and deleted so that the
 * finalizer never leaves it stuck.
 */
export class AssignedIdentityClient extends CustomResourceClient<AzureAssignedIdentity> {
  constructor(options: CustomResourceClientOptions) {
    super(CrdKind.AzureAssignedIdentity, parseAzureAssignedIdentity, options);
  }

  /** POST, adding the finalizer when absent. */
  override create(object: AzureAssignedIdentity): Promise<AzureAssignedIdentity> {
    const finalizers = object.metadata.finalizers ?? [];
    const withFinalizer = finalizers.includes(ASSIGNED_IDENTITY_FINALIZER)
      ? object
      : { ...object, metadata: { ...object.metadata, finalizers: [...finalizers, ASSIGNED_IDENTITY_FINALIZER] } };
    return super.create(withFinalizer);
  }

  /**
   * Upstream's exact status write: `[{"op":"replace","path":"/status/status","value":<state>}]`. A replace needs the
   * path to exist; for an object without any status (hand-made or legacy) it is retried as an add of the whole status.
   */
  async updateStatus(namespace: string, name: string, state: AssignedIdentityState): Promise<AzureAssignedIdentity> {
    try {
      return await this.patchJson(namespace, name, [{ op: 'replace', path: '/status/status', value: state }]);
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== 422 && status !== 400) throw error;
      this.logger.debug({ namespace, name }, 'status path missing; adding status');
      return await this.patchJson(namespace, name, [{ op: 'add', path: '/status', value: { status: state } }]);
    }
  }

  /**
   * A release in one write: status `Unassigned` and MIC's finalizer removed by one JSON patch, so that the DELETE
   * after it (`deleteAndReleaseFinalizer` with the returned copy) is a single request and the object goes at once.
   * Upstream writes the status, DELETEs, then writes again without the finalizer: three writes, three watch events
   * per released pod. Returns the patched object, or undefined when it is already gone. Pass the cached object to
   * save a GET; a stale copy is detected by the patch's `test` op and read again.
   */
  async unassignAndReleaseFinalizer(
    namespace: string,
    name: string,
    cached?: AzureAssignedIdentity,
  ): Promise<AzureAssignedIdentity | undefined> {
    return this.patchGuarded(namespace, name, cached, (current, finalizerOps) => [
      ...statusOperations(current, 'Unassigned'),
      ...finalizerOps,
    ]);
  }

  /**
   * Removes MIC's finalizer with a guarded JSON patch (unless the copy shows none), then deletes. A 404 at any step
   * means the object is already gone, which is success. Pass the cached object to save a GET; a stale copy is
   * detected by the patch's `test` op.
   */
  async deleteAndReleaseFinalizer(namespace: string, name: string, cached?: AzureAssignedIdentity): Promise<void> {
    const current = cached ?? (await this.get(namespace, name));
    if (current === undefined) return;
    if ((current.metadata.finalizers ?? []).includes(ASSIGNED_IDENTITY_FINALIZER)) {
      const patched = await this.patchGuarded(namespace, name, current, (_, finalizerOps) => finalizerOps);
      if (patched === undefined) return;
    }
    await this.delete(namespace, name);
  }

  /**
   * One JSON patch built from the current object and the ops that remove MIC's finalizer from it (none when it has
   * no such finalizer; an empty patch is not sent). Retried from a fresh GET when the copy was stale (422/409:
   * the `test` op failed). Undefined when the object is gone.
   */
  private async patchGuarded(
    namespace: string,
    name: string,
    cached: AzureAssignedIdentity | undefined,
    operations: (current: AzureAssignedIdentity, finalizerOps: JsonPatchOperation[]) => JsonPatchOperation[],
  ): Promise<AzureAssignedIdentity | undefined> {
    let current = cached;
    for (let attempt = 1; ; attempt++) {
      current ??= await this.get(namespace, name);
      if (current === undefined) return undefined;
      const index = (current.metadata.finalizers ?? []).indexOf(ASSIGNED_IDENTITY_FINALIZER);
      const finalizerOps: JsonPatchOperation[] =
        index < 0
          ? []
          : [
              { op: 'test', path: `/metadata/finalizers/${index}`, value: ASSIGNED_IDENTITY_FINALIZER },
              { op: 'remove', path: `/metadata/finalizers/${index}` },
            ];
      const patch = operations(current, finalizerOps);
      if (patch.length === 0) return current;
      try {
        return await this.patchJson(namespace, name, patch);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        const status = httpStatusOf(error);
        if ((status !== 422 && status !== 409 && status !== 400) || attempt >= FINALIZER_REMOVAL_ATTEMPTS) throw error;
        current = undefined;
      }
    }
  }
}

/** Sets `status.status`: upstream's exact `replace` where the field exists, an `add` where it (or status) does not. */
function statusOperations(current: AzureAssignedIdentity, state: AssignedIdentityState): JsonPatchOperation[] {
  if (current.status === undefined || current.status === null)
    return [{ op: 'add', path: '/status', value: { status: state } }];
  const op = current.status.status === undefined ? 'add' : 'replace';
  return [{ op, path: '/status/status', value: state }];
}

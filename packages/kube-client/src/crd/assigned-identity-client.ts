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
   * Removes MIC's finalizer with a guarded JSON patch, then deletes. A 404 at any step means the object is already
   * gone, which is success. Pass the cached object to save a GET; a stale copy is detected by the patch's `test` op.
   */
  async deleteAndReleaseFinalizer(namespace: string, name: string, cached?: AzureAssignedIdentity): Promise<void> {
    let current: AzureAssignedIdentity | undefined = cached;
    for (let attempt = 0; attempt < FINALIZER_REMOVAL_ATTEMPTS; attempt++) {
      current ??= await this.get(namespace, name);
      if (current === undefined) return;
      const index = (current.metadata.finalizers ?? []).indexOf(ASSIGNED_IDENTITY_FINALIZER);
      if (index < 0) break;
      const operations: JsonPatchOperation[] = [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: ASSIGNED_IDENTITY_FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ];
      try {
        await this.patchJson(namespace, name, operations);
        break;
      } catch (error) {
        if (isNotFound(error)) return;
        const status = httpStatusOf(error);
        // 422/409: our copy was stale (the test op failed); read the object again and retry.
        if (status !== 422 && status !== 409 && status !== 400) throw error;
        current = undefined;
      }
    }
    await this.delete(namespace, name);
  }
}

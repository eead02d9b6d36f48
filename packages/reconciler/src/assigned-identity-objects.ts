import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding } from '@podid/crd-types';
import {
  ASSIGNED_IDENTITY_FINALIZER,
  AssignedIdentityState,
  CrdKind,
  GROUP_VERSION,
  NODENAME_LABEL_KEY,
} from '@podid/crd-types';
import type { DesiredAssignment } from '@podid/matcher';

/**
 * Builds the AzureAssignedIdentity objects MIC writes (§1.4). The embedded refs are full copies of the matched
 * identity and binding with apiVersion/kind filled in (list responses omit them). One copy per identity/binding is
 * shared by every object that embeds it: a cycle over 50k pods must not allocate 50k copies of the same identity.
 */
export class AssignedIdentityObjectBuilder {
  readonly #identityRefs = new Map<AzureIdentity, AzureIdentity>();
  readonly #bindingRefs = new Map<AzureIdentityBinding, AzureIdentityBinding>();

  /** The object to POST: status `Created`, finalizer, `nodename` label. */
  create(desired: DesiredAssignment): AzureAssignedIdentity {
    return {
      apiVersion: GROUP_VERSION,
      kind: CrdKind.AzureAssignedIdentity,
      metadata: {
        name: desired.name,
        namespace: desired.namespace,
        labels: { [NODENAME_LABEL_KEY]: desired.nodeName },
        finalizers: [ASSIGNED_IDENTITY_FINALIZER],
      },
      spec: this.#spec(desired),
      status: { status: AssignedIdentityState.Created, availableReplicas: 1 },
    };
  }

  /**
   * The object to PUT over `previous`: its metadata (uid, resourceVersion, finalizers, ...) but the new labels
   * (exactly `nodename`, §2.4 step 6), the new spec, and status back to `Created` until ARM confirms.
   */
  update(previous: AzureAssignedIdentity, desired: DesiredAssignment): AzureAssignedIdentity {
    const finalizers = previous.metadata.finalizers ?? [];
    return {
      ...previous,
      apiVersion: GROUP_VERSION,
      kind: CrdKind.AzureAssignedIdentity,
      metadata: {
        ...previous.metadata,
        labels: { [NODENAME_LABEL_KEY]: desired.nodeName },
        finalizers: finalizers.includes(ASSIGNED_IDENTITY_FINALIZER)
          ? finalizers
          : [...finalizers, ASSIGNED_IDENTITY_FINALIZER],
      },
      spec: { ...previous.spec, ...this.#spec(desired) },
      status: { ...previous.status, status: AssignedIdentityState.Created, availableReplicas: 1 },
    };
  }

  #spec(desired: DesiredAssignment): AzureAssignedIdentity['spec'] {
    return {
      azureIdentityRef: this.#identityRef(desired.identity),
      azureBindingRef: this.#bindingRef(desired.binding),
      pod: desired.podName,
      podNamespace: desired.podNamespace,
      nodename: desired.nodeName,
    };
  }

  #identityRef(identity: AzureIdentity): AzureIdentity {
    let ref = this.#identityRefs.get(identity);
    if (ref === undefined) {
      ref = { ...identity, apiVersion: GROUP_VERSION, kind: CrdKind.AzureIdentity };
      this.#identityRefs.set(identity, ref);
    }
    return ref;
  }

  #bindingRef(binding: AzureIdentityBinding): AzureIdentityBinding {
    let ref = this.#bindingRefs.get(binding);
    if (ref === undefined) {
      ref = { ...binding, apiVersion: GROUP_VERSION, kind: CrdKind.AzureIdentityBinding };
      this.#bindingRefs.set(binding, ref);
    }
    return ref;
  }
}

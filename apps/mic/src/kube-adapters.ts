import type { AzureAssignedIdentity } from '@podid/crd-types';
import { GROUP_VERSION } from '@podid/crd-types';
import { type AssignedIdentityClient, EventReason, type EventRecorder, referenceTo } from '@podid/kube-client';
import { redactSecretText } from '@podid/crd-types';
import type { OncePerInterval } from './once-per-interval.js';
import type { AssignedIdentityWriter, AssignmentEvents } from './plan-executor.js';

/** Reasons of the Events MIC records on pods (issue 18); upstream recorded none there. */
export const PodEventReason = {
  IdentityAssigned: 'IdentityAssigned',
  IdentityAssignFailed: 'IdentityAssignFailed',
  IdentityUnassigned: 'IdentityUnassigned',
} as const;

/** Reason of the Event on a node whose VM/VMSS ARM does not know. */
export const NODE_TARGET_NOT_FOUND = 'AzureVmNotFound';

/** The executor's Kubernetes writes over kube-client, with upstream's request shapes (§2.12). */
export function assignedIdentityWriter(client: AssignedIdentityClient): AssignedIdentityWriter {
  return {
    create: (object) => client.create(object),
    update: (object) => client.replace(object),
    setStatus: (object, state) => client.updateStatus(object.metadata.namespace, object.metadata.name, state),
    unassign: (object) => client.unassignAndReleaseFinalizer(object.metadata.namespace, object.metadata.name, object),
    remove: (object) => client.deleteAndReleaseFinalizer(object.metadata.namespace, object.metadata.name, object),
  };
}

function bindingOf(object: AzureAssignedIdentity) {
  const binding = object.spec.azureBindingRef;
  return referenceTo(
    {
      apiVersion: binding?.apiVersion,
      kind: binding?.kind,
      metadata: {
        name: binding?.metadata?.name ?? object.metadata.name,
        namespace: binding?.metadata?.namespace ?? object.metadata.namespace,
        uid: binding?.metadata?.uid,
      },
    },
    { apiVersion: GROUP_VERSION, kind: 'AzureIdentityBinding' },
  );
}

export interface AssignmentEventOptions {
  /** Pod and node uids from MIC's caches: `kubectl describe` selects a pod's or node's events by uid. */
  readonly uidOf?: (kind: 'Pod' | 'Node', namespace: string | undefined, name: string) => string | undefined;
  /**
   * Lets each (pod, reason, identity) and (node, reason) through once per interval, so a burst of pods writes at
   * most one event per pod and reason, and a target that keeps failing does not write one per cycle.
   */
  readonly filter: Pick<OncePerInterval, 'allow'>;
}

/**
 * Events with upstream's reasons and messages on the binding (status errors on the assigned identity), and
 * podid's own on the pod (assigned, failed, unassigned) and on the node whose VM/VMSS ARM does not know. Every
 * message passes through `redactSecretText`: ARM's error text is shown, never a credential it may echo.
 */
export function assignmentEvents(recorder: EventRecorder, options: AssignmentEventOptions): AssignmentEvents {
  const bindingName = (object: AzureAssignedIdentity) => object.spec.azureBindingRef?.metadata?.name ?? '';
  const identityName = (object: AzureAssignedIdentity) =>
    `${object.spec.azureIdentityRef?.metadata?.namespace ?? ''}/${object.spec.azureIdentityRef?.metadata?.name ?? ''}`;
  const onPod = (object: AzureAssignedIdentity, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const name = object.spec.pod;
    if (!name) return;
    const namespace = object.spec.podNamespace;
    const uid = options.uidOf?.('Pod', namespace, name);
    // Per pod object (a re-created pod of the same name is another pod), reason and identity.
    const key = ['pod', namespace ?? '', name, uid ?? '', reason, identityName(object)].join('\u0000');
    if (!options.filter.allow(key)) return;
    recorder.record({ apiVersion: 'v1', kind: 'Pod', namespace, name, uid }, type, reason, redactSecretText(message));
  };
  return {
    bindingApplied: (object) => {
      recorder.normal(
        bindingOf(object),
        EventReason.BindingApplied,
        `Binding ${bindingName(object)} applied on node ${object.spec.nodename ?? ''} for pod ${object.metadata.name}`,
      );
      onPod(
        object,
        'Normal',
        PodEventReason.IdentityAssigned,
        `identity ${identityName(object)} assigned on node ${object.spec.nodename ?? ''} (binding ${bindingName(object)})`,
      );
    },
    bindingApplyError: (object, message) => {
      recorder.warning(bindingOf(object), EventReason.BindingApplyError, redactSecretText(message));
      onPod(object, 'Warning', PodEventReason.IdentityAssignFailed, message);
    },
    bindingRemoved: (object) => {
      recorder.normal(
        bindingOf(object),
        EventReason.BindingRemoved,
        `Binding ${bindingName(object)} removed from node ${object.spec.nodename ?? ''} for pod ${object.metadata.name}`,
      );
      onPod(
        object,
        'Normal',
        PodEventReason.IdentityUnassigned,
        `identity ${identityName(object)} removed from this pod (binding ${bindingName(object)})`,
      );
    },
    bindingRemoveError: (object, message) =>
      recorder.warning(bindingOf(object), EventReason.BindingRemoveError, redactSecretText(message)),
    statusUpdateError: (object, message) =>
      recorder.warning(
        referenceTo(object, { apiVersion: GROUP_VERSION, kind: 'AzureAssignedIdentity' }),
        EventReason.StatusUpdateError,
        redactSecretText(message),
      ),
    targetNotFound: (nodeNames, message) => {
      for (const name of nodeNames) {
        if (!options.filter.allow(`node\u0000${name}\u0000${NODE_TARGET_NOT_FOUND}`)) continue;
        recorder.warning(
          { apiVersion: 'v1', kind: 'Node', name, uid: options.uidOf?.('Node', undefined, name) },
          NODE_TARGET_NOT_FOUND,
          redactSecretText(`node ${name}: ${message}`),
        );
      }
    },
  };
}

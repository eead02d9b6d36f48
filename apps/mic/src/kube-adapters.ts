import type { AzureAssignedIdentity } from '@podid/crd-types';
import { GROUP_VERSION } from '@podid/crd-types';
import { type AssignedIdentityClient, EventReason, type EventRecorder, referenceTo } from '@podid/kube-client';
import type { AssignedIdentityWriter, AssignmentEvents } from './plan-executor.js';

/** The executor's Kubernetes writes over kube-client, with upstream's request shapes (§2.12). */
export function assignedIdentityWriter(client: AssignedIdentityClient): AssignedIdentityWriter {
  return {
    create: (object) => client.create(object),
    update: (object) => client.replace(object),
    setStatus: (object, state) => client.updateStatus(object.metadata.namespace, object.metadata.name, state),
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

/** Events with upstream's reasons and messages, on the binding (status errors on the assigned identity). */
export function assignmentEvents(recorder: EventRecorder): AssignmentEvents {
  const bindingName = (object: AzureAssignedIdentity) => object.spec.azureBindingRef?.metadata?.name ?? '';
  return {
    bindingApplied: (object) =>
      recorder.normal(
        bindingOf(object),
        EventReason.BindingApplied,
        `Binding ${bindingName(object)} applied on node ${object.spec.nodename ?? ''} for pod ${object.metadata.name}`,
      ),
    bindingApplyError: (object, message) => recorder.warning(bindingOf(object), EventReason.BindingApplyError, message),
    bindingRemoved: (object) =>
      recorder.normal(
        bindingOf(object),
        EventReason.BindingRemoved,
        `Binding ${bindingName(object)} removed from node ${object.spec.nodename ?? ''} for pod ${object.metadata.name}`,
      ),
    bindingRemoveError: (object, message) =>
      recorder.warning(bindingOf(object), EventReason.BindingRemoveError, message),
    statusUpdateError: (object, message) =>
      recorder.warning(
        referenceTo(object, { apiVersion: GROUP_VERSION, kind: 'AzureAssignedIdentity' }),
        EventReason.StatusUpdateError,
        message,
      ),
  };
}

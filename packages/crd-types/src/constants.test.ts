import { expect, test } from '@jest/globals';
import {
  API_GROUP,
  API_VERSION,
  ASSIGNED_IDENTITY_FINALIZER,
  AssignedIdentityState,
  BEHAVIOR_ANNOTATION_KEY,
  BEHAVIOR_NAMESPACED,
  crdNames,
  GROUP_VERSION,
  IdentityType,
  identityTypeOf,
  isNamespacedIdentity,
  NODENAME_LABEL_KEY,
  POD_LABEL_KEY,
  podBindingLabel,
} from './index.js';

test('wire names are exactly upstream v1.8.17 (§1.1–§1.6)', () => {
  expect([API_GROUP, API_VERSION, GROUP_VERSION]).toEqual(['aadpodidentity.k8s.io', 'v1', 'aadpodidentity.k8s.io/v1']);
  expect(POD_LABEL_KEY).toBe('aadpodidbinding');
  expect([BEHAVIOR_ANNOTATION_KEY, BEHAVIOR_NAMESPACED]).toEqual(['aadpodidentity.k8s.io/Behavior', 'namespaced']);
  expect(ASSIGNED_IDENTITY_FINALIZER).toBe('azureassignedidentity.finalizers.aadpodidentity.k8s.io');
  expect(NODENAME_LABEL_KEY).toBe('nodename');
  expect(AssignedIdentityState).toEqual({ Created: 'Created', Assigned: 'Assigned', Unassigned: 'Unassigned' });
  expect(IdentityType).toEqual({
    UserAssignedMSI: 0,
    ServicePrincipal: 1,
    ServicePrincipalCertificate: 2,
    FederatedIdentity: 3,
  });
  expect(Object.values(crdNames).map((n) => [n.kind, n.plural, n.singular, n.listKind])).toEqual([
    ['AzureIdentity', 'azureidentities', 'azureidentity', 'AzureIdentityList'],
    ['AzureIdentityBinding', 'azureidentitybindings', 'azureidentitybinding', 'AzureIdentityBindingList'],
    ['AzureAssignedIdentity', 'azureassignedidentities', 'azureassignedidentity', 'AzureAssignedIdentityList'],
    [
      'AzurePodIdentityException',
      'azurepodidentityexceptions',
      'azurepodidentityexception',
      'AzurePodIdentityExceptionList',
    ],
  ]);
});

test('identity helpers: absent type reads as 0; only the exact annotation value is namespaced', () => {
  const base = { metadata: { name: 'i', namespace: 'n' }, spec: {} };
  expect(identityTypeOf(base)).toBe(0);
  expect(identityTypeOf({ ...base, spec: { type: 2 } })).toBe(2);
  expect(
    isNamespacedIdentity({
      ...base,
      metadata: { ...base.metadata, annotations: { [BEHAVIOR_ANNOTATION_KEY]: 'namespaced' } },
    }),
  ).toBe(true);
  expect(
    isNamespacedIdentity({
      ...base,
      metadata: { ...base.metadata, annotations: { [BEHAVIOR_ANNOTATION_KEY]: 'Namespaced' } },
    }),
  ).toBe(false);
  expect(isNamespacedIdentity(base)).toBe(false);
  expect(podBindingLabel({ metadata: { name: 'p', namespace: 'n', labels: { aadpodidbinding: 'x' } } })).toBe('x');
  expect(podBindingLabel({ metadata: { name: 'p', namespace: 'n' } })).toBeUndefined();
});

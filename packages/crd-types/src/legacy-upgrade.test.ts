import { describe, expect, test } from '@jest/globals';
import { parseAzureIdentity, upgradeLegacyFields } from './index.js';

describe('upgradeLegacyFields (§1.7, checklist row 38)', () => {
  test('AzureIdentity: pre-1.6 capitalised fields become camelCase; unknown fields and label keys are kept', () => {
    const legacy = {
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'old', namespace: 'default', labels: { ClientID: 'label-kept' } },
      spec: {
        type: 0,
        ClientID: 'c',
        ResourceID: 'r',
        TenantID: 't',
        ClientPassword: { Name: 'secret', Namespace: 'ns' },
        ADEndpoint: 'https://login.example/',
        unrelated: 'kept',
      },
    };
    const { value, changed } = upgradeLegacyFields('AzureIdentity', legacy);
    expect(changed).toBe(true);
    expect(value).toEqual({
      apiVersion: 'aadpodidentity.k8s.io/v1',
      kind: 'AzureIdentity',
      metadata: { name: 'old', namespace: 'default', labels: { ClientID: 'label-kept' } },
      spec: {
        type: 0,
        clientID: 'c',
        resourceID: 'r',
        tenantID: 't',
        clientPassword: { name: 'secret', namespace: 'ns' },
        adEndpoint: 'https://login.example/',
        unrelated: 'kept',
      },
    });
    // The input is not mutated.
    expect(legacy.spec.ClientID).toBe('c');
  });

  test('the all-lower-case spellings of the internal Go types are upgraded too', () => {
    const { value, changed } = upgradeLegacyFields('AzureIdentityBinding', {
      metadata: { name: 'b', namespace: 'default' },
      spec: { azureidentity: 'id', selector: 's' },
    });
    expect(changed).toBe(true);
    expect(value).toEqual({
      metadata: { name: 'b', namespace: 'default' },
      spec: { azureIdentity: 'id', selector: 's' },
    });
  });

  test('binding with AzureIdentity/Selector (the old manifests)', () => {
    const { value } = upgradeLegacyFields('AzureIdentityBinding', {
      metadata: { name: 'b', namespace: 'default' },
      spec: { AzureIdentity: 'id', Selector: 'sel' },
    });
    expect(value).toMatchObject({ spec: { azureIdentity: 'id', selector: 'sel' } });
  });

  test('an object already in camelCase is reported unchanged and returned as the same reference', () => {
    const current = { metadata: { name: 'i', namespace: 'default' }, spec: { clientID: 'c', resourceID: 'r' } };
    const result = upgradeLegacyFields('AzureIdentity', current);
    expect(result.changed).toBe(false);
    expect(result.value).toBe(current);
  });

  test('when two spellings of one field are present the last one wins, like Go', () => {
    expect(upgradeLegacyFields('AzureIdentity', { spec: { clientID: 'first', ClientID: 'second' } })).toEqual({
      value: { spec: { clientID: 'second' } },
      changed: true,
    });
    expect(upgradeLegacyFields('AzureIdentity', { spec: { ClientID: 'first', clientID: 'second' } })).toEqual({
      value: { spec: { clientID: 'second' } },
      changed: true,
    });
  });

  test('AzureAssignedIdentity: capital Status and legacy embedded refs are upgraded', () => {
    const { value, changed } = upgradeLegacyFields('AzureAssignedIdentity', {
      metadata: { name: 'a', namespace: 'default' },
      spec: {
        AzureIdentityRef: { metadata: { name: 'i', namespace: 'default' }, spec: { ClientID: 'c' } },
        AzureBindingRef: { metadata: { name: 'b', namespace: 'default' }, spec: { Selector: 's' } },
        Pod: 'p',
        PodNamespace: 'ns',
        NodeName: 'n',
      },
      status: { Status: 'Assigned', AvailableReplicas: 1 },
    });
    expect(changed).toBe(true);
    expect(value).toEqual({
      metadata: { name: 'a', namespace: 'default' },
      spec: {
        azureIdentityRef: { metadata: { name: 'i', namespace: 'default' }, spec: { clientID: 'c' } },
        azureBindingRef: { metadata: { name: 'b', namespace: 'default' }, spec: { selector: 's' } },
        pod: 'p',
        podNamespace: 'ns',
        nodename: 'n',
      },
      status: { status: 'Assigned', availableReplicas: 1 },
    });
  });

  test('AzurePodIdentityException: PodLabels is renamed, the label keys inside are not', () => {
    const { value } = upgradeLegacyFields('AzurePodIdentityException', {
      metadata: { name: 'e', namespace: 'kube-system' },
      spec: { PodLabels: { App: 'MIC' } },
    });
    expect(value).toEqual({ metadata: { name: 'e', namespace: 'kube-system' }, spec: { podLabels: { App: 'MIC' } } });
  });

  test('non-objects pass through unchanged', () => {
    expect(upgradeLegacyFields('AzureIdentity', null)).toEqual({ value: null, changed: false });
    expect(upgradeLegacyFields('AzureIdentity', [1])).toEqual({ value: [1], changed: false });
    expect(upgradeLegacyFields('AzureIdentity', { spec: 'text' })).toEqual({ value: { spec: 'text' }, changed: false });
  });

  test('the upgraded object parses', () => {
    const { value } = upgradeLegacyFields('AzureIdentity', {
      metadata: { name: 'i', namespace: 'd' },
      Spec: { Type: 1, ClientID: 'c' },
    });
    const parsed = parseAzureIdentity(value);
    expect(parsed.ok && parsed.value.spec).toEqual({ type: 1, clientID: 'c' });
  });
});

test('a "__proto__" key from JSON stays an ordinary field', () => {
  const input = JSON.parse('{"spec":{"ClientID":"c","__proto__":{"polluted":true}}}');
  const { value } = upgradeLegacyFields('AzureIdentity', input);
  const spec = (value as { spec: Record<string, unknown> }).spec;
  expect(Object.keys(spec)).toEqual(['clientID', '__proto__']);
  expect(Object.getPrototypeOf(spec)).toBe(Object.prototype);
  expect((spec as { polluted?: unknown }).polluted).toBeUndefined();
});

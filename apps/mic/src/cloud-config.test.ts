import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { type CloudConfigError, cloudConfigFromEnv, loadCloudConfig, parseCloudConfigText } from './cloud-config.js';

describe('cloud config', () => {
  test('reads an AKS azure.json, keys matched case-insensitively like Go', () => {
    const config = parseCloudConfigText(
      JSON.stringify({
        cloud: 'AzurePublicCloud',
        tenantID: 't',
        aadClientId: 'c',
        aadClientSecret: 's',
        subscriptionId: 'sub',
        resourceGroup: 'rg',
        vmType: 'vmss',
        useManagedIdentityExtension: true,
        userAssignedIdentityID: 'cluster-id',
        securityGroupName: 'ignored',
      }),
      'azure.json',
    );
    expect(config).toEqual({
      cloud: 'AzurePublicCloud',
      tenantId: 't',
      aadClientId: 'c',
      aadClientSecret: 's',
      subscriptionId: 'sub',
      resourceGroup: 'rg',
      vmType: 'vmss',
      useManagedIdentityExtension: true,
      userAssignedIdentityID: 'cluster-id',
    });
  });

  test('environment variables when no file is given', async () => {
    const config = await loadCloudConfig(undefined, {
      CLOUD: 'AzureStackCloud',
      TENANT_ID: 't',
      CLIENT_ID: 'c',
      CLIENT_SECRET: 's',
      SUBSCRIPTION_ID: 'sub',
      RESOURCE_GROUP: 'rg',
      USE_MSI: 'True',
      USER_ASSIGNED_MSI_CLIENT_ID: 'u',
    });
    expect(config).toMatchObject({ cloud: 'AzureStackCloud', useManagedIdentityExtension: true, aadClientId: 'c' });
  });

  test('a file on disk', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'podid-cloud-'));
    const file = path.join(dir, 'azure.json');
    await fs.writeFile(file, 'cloud: AzurePublicCloud\nsubscriptionId: sub\n');
    await expect(loadCloudConfig(file, {})).resolves.toMatchObject({
      cloud: 'AzurePublicCloud',
      subscriptionId: 'sub',
    });
    await fs.rm(dir, { recursive: true });
  });

  test.each([
    ['', /expected an object/],
    ['{not json', /not valid JSON or YAML/],
    ['{"cloud": ""}', /"cloud" is empty/],
    ['{"cloud": "AzurePublicCloud", "subscriptionId": 5}', /"subscriptionId" must be a string/],
    ['{"cloud": "AzurePublicCloud", "useManagedIdentityExtension": "yes"}', /must be a boolean/],
  ])('bad file %j is a clear cloud_config_invalid error', (text, message) => {
    expect(() => parseCloudConfigText(text, 'azure.json')).toThrow(message);
    try {
      parseCloudConfigText(text, 'azure.json');
    } catch (error) {
      expect((error as CloudConfigError).code).toBe('cloud_config_invalid');
    }
  });

  test('a missing file and a missing CLOUD are clear errors', async () => {
    await expect(loadCloudConfig('/nonexistent/azure.json', {})).rejects.toMatchObject({
      code: 'cloud_config_unreadable',
    });
    expect(() => cloudConfigFromEnv({})).toThrow(/"cloud" is empty/);
  });
});

import { describe, expect, test } from '@jest/globals';
import { armTokenScope, resolveCloudEnvironment } from './cloud-environment.js';

describe('resolveCloudEnvironment', () => {
  test('known clouds by name, case-insensitively', () => {
    expect(resolveCloudEnvironment({ cloud: 'AzurePublicCloud' }).resourceManagerEndpointUrl).toBe(
      'https://management.azure.com/',
    );
    expect(resolveCloudEnvironment({ cloud: 'azurechinacloud' }).activeDirectoryEndpointUrl).toBe(
      'https://login.chinacloudapi.cn/',
    );
    expect(resolveCloudEnvironment({ cloud: 'AzureUSGovernmentCloud' }).resourceManagerEndpointUrl).toBe(
      'https://management.usgovcloudapi.net/',
    );
    expect(resolveCloudEnvironment({ cloud: 'AzureGermanCloud' }).resourceManagerEndpointUrl).toBe(
      'https://management.microsoftazure.de/',
    );
  });

  test('unknown and empty names are typed errors', () => {
    expect(() => resolveCloudEnvironment({ cloud: 'MarsCloud' })).toThrow(
      expect.objectContaining({ code: 'unknown_cloud' }),
    );
    expect(() => resolveCloudEnvironment({ cloud: '' })).toThrow(expect.objectContaining({ code: 'unknown_cloud' }));
  });

  test('AzureStackCloud reads the file named by AZURE_ENVIRONMENT_FILEPATH', () => {
    const files: Record<string, string> = {
      '/etc/kubernetes/akscustom.json': JSON.stringify({
        name: 'Emulator',
        resourceManagerEndpoint: 'https://127.0.0.1:8443',
        activeDirectoryEndpoint: 'https://127.0.0.1:8444/',
      }),
    };
    const env = resolveCloudEnvironment({
      cloud: 'AzureStackCloud',
      env: { AZURE_ENVIRONMENT_FILEPATH: '/etc/kubernetes/akscustom.json' },
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw new Error('ENOENT');
        return text;
      },
    });
    expect(env).toEqual({
      name: 'Emulator',
      resourceManagerEndpointUrl: 'https://127.0.0.1:8443/',
      activeDirectoryEndpointUrl: 'https://127.0.0.1:8444/',
    });
    expect(armTokenScope(env)).toBe('https://127.0.0.1:8443/.default');
  });

  test('a bad environment file is an invalid_cloud_environment error', () => {
    const resolve =
      (text: string | Error, env: Record<string, string> = { AZURE_ENVIRONMENT_FILEPATH: '/f' }) =>
      () =>
        resolveCloudEnvironment({
          cloud: 'AzureStackCloud',
          env,
          readFile: () => {
            if (text instanceof Error) throw text;
            return text;
          },
        });
    const invalid = expect.objectContaining({ code: 'invalid_cloud_environment' });
    expect(resolve('{}', {})).toThrow(invalid);
    expect(resolve(new Error('ENOENT'))).toThrow(invalid);
    expect(resolve('not json')).toThrow(invalid);
    expect(
      resolve(JSON.stringify({ resourceManagerEndpoint: 'http://x', activeDirectoryEndpoint: 'https://y' })),
    ).toThrow(invalid);
  });

  test('the token scope prefers tokenAudience', () => {
    expect(
      armTokenScope({
        name: 'x',
        resourceManagerEndpointUrl: 'https://arm/',
        activeDirectoryEndpointUrl: 'https://aad/',
        tokenAudience: 'https://management.core.windows.net/',
      }),
    ).toBe('https://management.core.windows.net/.default');
  });
});

import { readFileSync } from 'node:fs';
import { ArmAssignerError } from './errors.js';

/** The endpoints of one Azure cloud that MIC needs. URLs keep the trailing slash, as in upstream's tables. */
export interface CloudEnvironment {
  readonly name: string;
  readonly resourceManagerEndpointUrl: string;
  readonly activeDirectoryEndpointUrl: string;
  /** Token audience for ARM when the environment names one (custom clouds); otherwise the ARM endpoint. */
  readonly tokenAudience?: string;
}

/** The clouds upstream knew by name (go-autorest's environment table, §2.1 step 4). */
export const KNOWN_CLOUD_ENVIRONMENTS: Readonly<Record<string, CloudEnvironment>> = {
  AzurePublicCloud: {
    name: 'AzurePublicCloud',
    resourceManagerEndpointUrl: 'https://management.azure.com/',
    activeDirectoryEndpointUrl: 'https://login.microsoftonline.com/',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    resourceManagerEndpointUrl: 'https://management.chinacloudapi.cn/',
    activeDirectoryEndpointUrl: 'https://login.chinacloudapi.cn/',
  },
  AzureUSGovernmentCloud: {
    name: 'AzureUSGovernmentCloud',
    resourceManagerEndpointUrl: 'https://management.usgovcloudapi.net/',
    activeDirectoryEndpointUrl: 'https://login.microsoftonline.us/',
  },
  AzureGermanCloud: {
    name: 'AzureGermanCloud',
    resourceManagerEndpointUrl: 'https://management.microsoftazure.de/',
    activeDirectoryEndpointUrl: 'https://login.microsoftonline.de/',
  },
};

/** go-autorest also accepted these spellings; names compare case-insensitively. */
const ALIASES: Readonly<Record<string, string>> = {
  azurecloud: 'AzurePublicCloud',
  azureusgovernment: 'AzureUSGovernmentCloud',
};

/** The cloud name that reads its endpoints from the file named by `AZURE_ENVIRONMENT_FILEPATH`. */
export const AZURE_STACK_CLOUD_NAME = 'AzureStackCloud';
export const ENVIRONMENT_FILEPATH_VARIABLE = 'AZURE_ENVIRONMENT_FILEPATH';

export interface ResolveCloudEnvironmentOptions {
  /** `cloud` from azure.json or env `CLOUD`. */
  readonly cloud: string;
  /** Where to read the custom environment from; default `env.AZURE_ENVIRONMENT_FILEPATH`. */
  readonly environmentFilePath?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/**
 * Resolves a cloud name to its endpoints (§2.1 step 4). `AzureStackCloud` reads a go-autorest environment JSON
 * file (fields `name`, `resourceManagerEndpoint`, `activeDirectoryEndpoint`, optional `tokenAudience`), which is
 * also how MIC is pointed at the azure-emulator. Throws `unknown_cloud` or `invalid_cloud_environment`.
 */
export function resolveCloudEnvironment(options: ResolveCloudEnvironmentOptions): CloudEnvironment {
  const cloud = options.cloud.trim();
  if (cloud === '') {
    throw new ArmAssignerError(
      'unknown_cloud',
      `cloud is empty; set "cloud" in the cloud config (or env CLOUD) to one of ${[...Object.keys(KNOWN_CLOUD_ENVIRONMENTS), AZURE_STACK_CLOUD_NAME].join(', ')}`,
    );
  }
  if (cloud.toLowerCase() === AZURE_STACK_CLOUD_NAME.toLowerCase()) {
    const path = options.environmentFilePath ?? (options.env ?? process.env)[ENVIRONMENT_FILEPATH_VARIABLE];
    if (path === undefined || path === '') {
      throw new ArmAssignerError(
        'invalid_cloud_environment',
        `cloud ${AZURE_STACK_CLOUD_NAME} needs the environment file named by ${ENVIRONMENT_FILEPATH_VARIABLE}`,
      );
    }
    return readEnvironmentFile(path, options.readFile ?? ((p) => readFileSync(p, 'utf8')));
  }
  const known =
    Object.values(KNOWN_CLOUD_ENVIRONMENTS).find((env) => env.name.toLowerCase() === cloud.toLowerCase()) ??
    KNOWN_CLOUD_ENVIRONMENTS[ALIASES[cloud.toLowerCase()] ?? ''];
  if (known === undefined) {
    throw new ArmAssignerError(
      'unknown_cloud',
      `autorest/azure: There is no cloud environment matching the name "${cloud.toUpperCase()}"`,
    );
  }
  return known;
}

/** Parses a go-autorest environment file (the JSON upstream's AzureStackCloud support reads). */
export function parseEnvironmentJson(text: string, source = 'environment file'): CloudEnvironment {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ArmAssignerError('invalid_cloud_environment', `${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new ArmAssignerError('invalid_cloud_environment', `${source} must hold a JSON object`);
  }
  const fields = parsed as Record<string, unknown>;
  const url = (field: string): string => {
    const value = fields[field];
    if (typeof value !== 'string' || !isHttpsUrl(value)) {
      throw new ArmAssignerError(
        'invalid_cloud_environment',
        `${source}: "${field}" must be an https URL, got ${JSON.stringify(value)}`,
      );
    }
    return value.endsWith('/') ? value : `${value}/`;
  };
  const tokenAudience = typeof fields['tokenAudience'] === 'string' ? fields['tokenAudience'] : undefined;
  return {
    name: typeof fields['name'] === 'string' && fields['name'] !== '' ? fields['name'] : AZURE_STACK_CLOUD_NAME,
    resourceManagerEndpointUrl: url('resourceManagerEndpoint'),
    activeDirectoryEndpointUrl: url('activeDirectoryEndpoint'),
    ...(tokenAudience === undefined || tokenAudience === '' ? {} : { tokenAudience }),
  };
}

function readEnvironmentFile(path: string, readFile: (path: string) => string): CloudEnvironment {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ArmAssignerError(
      'invalid_cloud_environment',
      `cannot read environment file ${path}: ${(error as Error).message}`,
    );
  }
  return parseEnvironmentJson(text, `environment file ${path}`);
}

function isHttpsUrl(value: string): boolean {
  try {
    // The Azure SDKs refuse bearer tokens over plain http, so an http endpoint would only fail later and less clearly.
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The ARM token scope for a cloud: its token audience if it names one, else its ARM endpoint, plus `/.default`. */
export function armTokenScope(environment: CloudEnvironment): string {
  const resource = environment.tokenAudience ?? environment.resourceManagerEndpointUrl;
  return `${resource.replace(/\/+$/, '')}/.default`;
}

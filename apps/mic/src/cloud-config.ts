import fs from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

/**
 * The Azure cloud configuration MIC authenticates to ARM with (spec §2.1 step 4): the fields of AKS's azure.json that
 * MIC reads. `vmType` and `securityGroupName` are read but unused, as upstream: VM vs VMSS is decided per node.
 */
export interface CloudConfig {
  readonly cloud: string;
  readonly tenantId: string;
  readonly aadClientId: string;
  readonly aadClientSecret: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly vmType: string;
  readonly useManagedIdentityExtension: boolean;
  /** Client ID of the cluster identity; also never unassigned from a VM (spec §2.1 step 7). */
  readonly userAssignedIdentityID: string;
}

export class CloudConfigError extends Error {
  readonly code: 'cloud_config_unreadable' | 'cloud_config_invalid';
  constructor(code: CloudConfigError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudConfigError';
    this.code = code;
  }
}

const STRING_FIELDS = [
  'cloud',
  'tenantId',
  'aadClientId',
  'aadClientSecret',
  'subscriptionId',
  'resourceGroup',
  'vmType',
  'userAssignedIdentityID',
] as const;

/** Go's encoding/json matches keys case-insensitively; azure.json files in the wild rely on it. */
function lookupCaseInsensitive(record: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  for (const [candidate, value] of Object.entries(record)) {
    if (candidate.toLowerCase() === lower) return value;
  }
  return undefined;
}

function requireCloud(config: CloudConfig, source: string): CloudConfig {
  if (config.cloud.trim() === '') {
    throw new CloudConfigError('cloud_config_invalid', `${source}: "cloud" is empty; set it to an Azure cloud name`);
  }
  return config;
}

/** Parses the text of an azure.json file (JSON or YAML). */
export function parseCloudConfigText(text: string, source: string): CloudConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new CloudConfigError('cloud_config_invalid', `${source}: not valid JSON or YAML: ${String(error)}`, {
      cause: error,
    });
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new CloudConfigError('cloud_config_invalid', `${source}: expected an object of cloud settings`);
  }
  const record = document as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const field of STRING_FIELDS) {
    const value = lookupCaseInsensitive(record, field);
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new CloudConfigError('cloud_config_invalid', `${source}: "${field}" must be a string`);
    }
    values[field] = value ?? '';
  }
  const useMsi = lookupCaseInsensitive(record, 'useManagedIdentityExtension');
  if (useMsi !== undefined && useMsi !== null && typeof useMsi !== 'boolean') {
    throw new CloudConfigError('cloud_config_invalid', `${source}: "useManagedIdentityExtension" must be a boolean`);
  }
  return requireCloud(
    { ...(values as Record<(typeof STRING_FIELDS)[number], string>), useManagedIdentityExtension: useMsi === true },
    source,
  );
}

/** Reads `--cloudconfig`. */
export async function readCloudConfigFile(path: string): Promise<CloudConfig> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    throw new CloudConfigError('cloud_config_unreadable', `failed to read cloud config ${path}: ${String(error)}`, {
      cause: error,
    });
  }
  return parseCloudConfigText(text, path);
}

/** The environment-variable form used when `--cloudconfig` is empty (spec §2.1 step 4). */
export function cloudConfigFromEnv(env: Readonly<Record<string, string | undefined>>): CloudConfig {
  return requireCloud(
    {
      cloud: env['CLOUD'] ?? '',
      tenantId: env['TENANT_ID'] ?? '',
      aadClientId: env['CLIENT_ID'] ?? '',
      aadClientSecret: env['CLIENT_SECRET'] ?? '',
      subscriptionId: env['SUBSCRIPTION_ID'] ?? '',
      resourceGroup: env['RESOURCE_GROUP'] ?? '',
      vmType: env['VM_TYPE'] ?? '',
      useManagedIdentityExtension: (env['USE_MSI'] ?? '').toLowerCase() === 'true',
      userAssignedIdentityID: env['USER_ASSIGNED_MSI_CLIENT_ID'] ?? '',
    },
    'environment (CLOUD, TENANT_ID, ...)',
  );
}

/** `--cloudconfig` when given, else the environment. */
export function loadCloudConfig(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CloudConfig> {
  return path ? readCloudConfigFile(path) : Promise.resolve(cloudConfigFromEnv(env));
}

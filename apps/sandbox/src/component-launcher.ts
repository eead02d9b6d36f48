/**
 * Command lines, environment and files for the MIC and NMI child processes, pointed at the emulators: a cloud config
 * (azure.json) with MIC's service principal, a go-autorest environment file naming the emulated ARM and AAD
 * (`cloud: AzureStackCloud`), and the emulator's CA for Node's TLS (NODE_EXTRA_CA_CERTS).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AzureWorld } from './azure-world.js';
import { ManagedProcess } from './managed-process.js';

/** The repository root: this file is apps/sandbox/{src,dist}/component-launcher.{ts,js}. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MIC_SCRIPT = join(REPO_ROOT, 'apps/mic/dist/main.js');
export const NMI_SCRIPT = join(REPO_ROOT, 'apps/nmi/dist/main.js');

export interface EmulatorFiles {
  cloudConfigPath: string;
  environmentFilePath: string;
  caPath: string;
  /** What NMI's kubenet guard reads instead of /etc/default/kubelet: a CNI cluster, as on AKS with Azure CNI. */
  kubeletConfigPath: string;
}

export interface CloudConfigExtras {
  /** Client ID of the cluster (kubelet) identity: MIC never unassigns it. */
  userAssignedIdentityID?: string;
}

/** Writes the files MIC and NMI read (mode 0600: the cloud config holds MIC's secret). */
export function writeEmulatorFiles(
  dir: string,
  world: AzureWorld,
  urls: { armUrl: string; aadUrl: string; caCertPem: string },
  extras: CloudConfigExtras = {},
): EmulatorFiles {
  const cloudConfigPath = join(dir, 'azure.json');
  const environmentFilePath = join(dir, 'azure-environment.json');
  const caPath = join(dir, 'emulator-ca.pem');
  writeFileSync(
    cloudConfigPath,
    JSON.stringify(
      {
        cloud: 'AzureStackCloud',
        tenantId: world.tenantId,
        aadClientId: world.micPrincipal.clientId,
        aadClientSecret: world.micPrincipal.clientSecret,
        subscriptionId: world.subscriptionId,
        resourceGroup: world.resourceGroup,
        vmType: 'vmss',
        userAssignedIdentityID: extras.userAssignedIdentityID ?? '',
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  writeFileSync(
    environmentFilePath,
    JSON.stringify({
      name: 'AzureStackCloud',
      resourceManagerEndpoint: urls.armUrl,
      activeDirectoryEndpoint: urls.aadUrl,
    }),
    { mode: 0o600 },
  );
  writeFileSync(caPath, urls.caCertPem, { mode: 0o600 });
  const kubeletConfigPath = join(dir, 'kubelet-defaults');
  writeFileSync(kubeletConfigPath, 'KUBELET_FLAGS=--network-plugin=cni --max-pods=250\n', { mode: 0o600 });
  return { cloudConfigPath, environmentFilePath, caPath, kubeletConfigPath };
}

export interface LaunchContext {
  workDir: string;
  kubeconfigPath: string;
  files: EmulatorFiles;
  /** Namespace MIC runs in (MIC_POD_NAMESPACE; also NMI's --MICNamespace). */
  micNamespace: string;
  onLine?: (component: string, line: string) => void;
  micScript?: string;
  nmiScript?: string;
}

export interface LaunchedComponent {
  process: ManagedProcess;
  probeUrl: string;
  metricsUrl: string;
}

function baseEnv(context: LaunchContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The sandbox's own kubeconfig must win over whatever the user has.
  env['KUBECONFIG'] = context.kubeconfigPath;
  env['NODE_EXTRA_CA_CERTS'] = context.files.caPath;
  env['AZURE_ENVIRONMENT_FILEPATH'] = context.files.environmentFilePath;
  delete env['FORCENAMESPACED'];
  delete env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
  return env;
}

export interface MicLaunchOptions {
  /** Leader-election identity (default `mic-<n>`). */
  instance: string;
  extraArgs?: readonly string[];
  env?: Record<string, string>;
}

/** A number logged by a child as `key=123` (text logs) or `"key":123` (JSON logs). */
function loggedNumber(line: string, key: string): number {
  const match = line.match(new RegExp(`\\b${key}"?[=:]"?(?:[^"\\s]*:)?(\\d+)`));
  if (!match) throw new Error(`no ${key} in ${JSON.stringify(line)}`);
  return Number(match[1]);
}

// Children listen on port 0 and log the ports they got: ports picked here and handed over could be taken by
// another process in between (parallel test runs did exactly that).
export async function launchMic(context: LaunchContext, options: MicLaunchOptions): Promise<LaunchedComponent> {
  const name = `mic ${options.instance}`;
  const process = ManagedProcess.start({
    name,
    script: context.micScript ?? MIC_SCRIPT,
    args: [
      `--kubeconfig=${context.kubeconfigPath}`,
      `--cloudconfig=${context.files.cloudConfigPath}`,
      '--http-probe-port=0',
      '--prometheus-port=0',
      `--leader-election-instance=${options.instance}`,
      `--leader-election-namespace=${context.micNamespace}`,
      ...(options.extraArgs ?? []),
    ],
    env: { ...baseEnv(context), MIC_POD_NAMESPACE: context.micNamespace, ...options.env },
    logFile: join(context.workDir, `${options.instance}.log`),
    ...(context.onLine ? { onLine: (line: string) => context.onLine?.(name, line) } : {}),
  });
  const line = await process.waitForLine(/probe and metrics listening/);
  const probeUrl = `http://127.0.0.1:${loggedNumber(line, 'healthz')}`;
  process.useProbe(probeUrl);
  return { process, probeUrl, metricsUrl: `http://127.0.0.1:${loggedNumber(line, 'metrics')}` };
}

export interface NmiLaunchOptions {
  nodeName: string;
  /** Where the node's real IMDS is (the emulator's listener for that node). */
  imdsUrl: string;
  /** Address NMI listens on (default 127.0.0.1). */
  listenAddress?: string;
  /** Port for the token server (default: a free one). */
  port?: number;
  manageIptables?: boolean;
  extraArgs?: readonly string[];
  env?: Record<string, string>;
  /** Netns mode: `ip netns exec <node-ns>`. */
  wrapper?: readonly string[];
  /** Kubeconfig to use instead of the sandbox's (netns mode: one naming the relay inside the node namespace). */
  kubeconfigPath?: string;
  /** Reads /healthz another way (netns mode). */
  probe?: (probePort: number) => Promise<string | undefined>;
}

export interface LaunchedNmi extends LaunchedComponent {
  url: string;
  port: number;
}

export async function launchNmi(context: LaunchContext, options: NmiLaunchOptions): Promise<LaunchedNmi> {
  const listenAddress = options.listenAddress ?? '127.0.0.1';
  const name = `nmi ${options.nodeName}`;
  const process = ManagedProcess.start({
    name,
    script: context.nmiScript ?? NMI_SCRIPT,
    args: [
      `--node=${options.nodeName}`,
      `--nmi-listen-address=${listenAddress}`,
      `--nmi-port=${options.port ?? 0}`,
      `--manage-iptables=${options.manageIptables ?? false}`,
      `--imds-endpoint=${options.imdsUrl}`,
      '--http-probe-port=0',
      '--prometheus-port=0',
      `--MICNamespace=${context.micNamespace}`,
      `--kubeconfig=${options.kubeconfigPath ?? context.kubeconfigPath}`,
      `--kubelet-config=${context.files.kubeletConfigPath}`,
      '--termination-wait=0s',
      ...(options.extraArgs ?? []),
    ],
    env: { ...baseEnv(context), NODE_NAME: options.nodeName, ...options.env },
    logFile: join(context.workDir, `nmi-${options.nodeName}.log`),
    ...(options.wrapper ? { wrapper: options.wrapper } : {}),
    ...(context.onLine ? { onLine: (line: string) => context.onLine?.(name, line) } : {}),
  });
  const servers = await process.waitForLine(/probe and metrics servers listening/);
  const probePort = loggedNumber(servers, 'probePort');
  const probeUrl = `http://127.0.0.1:${probePort}`;
  const probe = options.probe;
  process.useProbe(probe ? () => probe(probePort) : probeUrl);
  // NMI listens for tokens once its caches are synced, just before it turns Active.
  const tokenLine = await process.waitForLine(/token server listening/);
  const port = loggedNumber(tokenLine, 'port');
  return {
    process,
    url: `http://${listenAddress}:${port}`,
    port,
    probeUrl,
    metricsUrl: `http://127.0.0.1:${loggedNumber(servers, 'metricsPort')}`,
  };
}

import { readFile } from 'node:fs/promises';
import { IptablesError } from './errors.js';

export const DEFAULT_KUBELET_CONFIG_PATH = '/etc/default/kubelet';

/** Upstream's exact fatal message (§3.1 step 2); operators search for it. */
export const KUBENET_NOT_SUPPORTED_MESSAGE =
  'AAD Pod Identity is not supported for Kubenet. Review https://azure.github.io/aad-pod-identity/docs/configure/aad_pod_identity_on_kubenet/ for more details.';

const KUBENET_FLAG = '--network-plugin=kubenet';

export interface KubenetGuardOptions {
  /** `--allow-network-plugin-kubenet`: skip the check entirely (the file is not even read). */
  readonly allowKubenet?: boolean;
  /** `--kubelet-config`, default `/etc/default/kubelet`. */
  readonly kubeletConfigPath?: string;
  readonly readTextFile?: (path: string) => Promise<string>;
}

/**
 * Refuses to start on kubenet clusters: there pods with CAP_NET_RAW can ARP-spoof another pod's IP and obtain its
 * tokens (CVE-2021-1677). Like upstream, detection is only the kubelet flag in the kubelet defaults file.
 */
export async function checkKubenet(options: KubenetGuardOptions = {}): Promise<void> {
  if (options.allowKubenet === true) return;
  const path = options.kubeletConfigPath ?? DEFAULT_KUBELET_CONFIG_PATH;
  const read = options.readTextFile ?? ((file: string) => readFile(file, 'utf8'));
  let content: string;
  try {
    content = await read(path);
  } catch (error) {
    // Not `instanceof Error`: fs errors can come from another realm (e.g. a test VM context).
    const reason =
      typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
    throw new IptablesError('kubelet_config_unreadable', `failed to check if CNI plugin is kubenet, error: ${reason}`, {
      cause: error,
    });
  }
  if (content.includes(KUBENET_FLAG)) {
    throw new IptablesError('kubenet_not_supported', KUBENET_NOT_SUPPORTED_MESSAGE);
  }
}

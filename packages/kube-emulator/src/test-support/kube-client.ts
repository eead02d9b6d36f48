/** A client-node KubeConfig pointed at a running emulator. */
import * as k8s from '@kubernetes/client-node';
import type { KubeEmulator } from '../start-emulator.js';

export function kubeConfigFor(emulator: KubeEmulator): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'emulator', server: emulator.url, skipTLSVerify: true }],
    users: [{ name: 'emulator', token: emulator.kubeconfig.users[0]!.user.token }],
    contexts: [{ name: 'emulator', cluster: 'emulator', user: 'emulator' }],
    currentContext: 'emulator',
  });
  return kc;
}

/** Waits until `predicate` holds, polling every 10 ms (tests wait for effects, never for fixed times). */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

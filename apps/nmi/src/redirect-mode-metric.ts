import { Gauge, type Registry } from 'prom-client';
import type { RedirectMode } from './redirect-manager.js';

/** podid's own metric (not an upstream family, hence not `aadpodidentity_`): what NMI's iptables rules do now. */
export const REDIRECT_MODE_METRIC = 'podid_nmi_redirect_mode';
const MODES: readonly RedirectMode[] = ['redirect', 'reject', 'none'];

/** `podid_nmi_redirect_mode{mode="redirect|reject|none"}`: 1 for the current mode, 0 for the other two. */
export function createRedirectModeMetric(registry: Registry): (mode: RedirectMode) => void {
  const gauge = new Gauge<'mode'>({
    name: REDIRECT_MODE_METRIC,
    help: 'What NMI iptables rules do now: redirect (pods reach NMI), reject (pods are refused), none',
    labelNames: ['mode'],
    registers: [registry],
  });
  const set = (current: RedirectMode) => {
    for (const mode of MODES) gauge.set({ mode }, mode === current ? 1 : 0);
  };
  set('none');
  return set;
}

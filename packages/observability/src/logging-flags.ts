import type { FlagDefinitions } from '@podid/go-flags';
import type { LogFormat } from './logger.js';

/**
 * The logging flags MIC and NMI share: upstream's `--log-format`, and klog's flags, which existing manifests pass and
 * which are accepted so those manifests keep working (`-v` sets the verbosity; the others change nothing).
 */
export const loggingFlags = {
  'log-format': { type: 'string', default: 'text', description: 'text or json' },
  v: { type: 'int', default: 0, description: 'log verbosity (klog)', hidden: true },
  logtostderr: { type: 'bool', default: true, description: 'klog compatibility; ignored', hidden: true },
  alsologtostderr: { type: 'bool', default: false, description: 'klog compatibility; ignored', hidden: true },
  stderrthreshold: { type: 'string', default: '', description: 'klog compatibility; ignored', hidden: true },
} as const satisfies FlagDefinitions;

/**
 * Upstream's `--enableProfile`, which MIC and NMI both accept so existing manifests keep working. The probe port
 * never serves pprof (Q11), so it changes nothing.
 */
export const profilingFlags = {
  enableProfile: {
    type: 'bool',
    default: false,
    description: 'accepted for compatibility; podid serves no pprof endpoints',
    deprecated: 'no effect in podid',
  },
} as const satisfies FlagDefinitions;

/** `--log-format` values; anything else is upstream's fatal `unknown logging format`. */
export function isLogFormat(value: string): value is LogFormat {
  return value === 'text' || value === 'json';
}

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe } from '@jest/globals';

export type NetnsSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const DEFAULT_BINARIES = ['ip', 'iptables'] as const;
// Root's PATH has the sbin directories, a sudo-less CI shell sometimes does not.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

function findBinary(name: string): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...EXTRA_DIRS].filter((dir) => dir !== '');
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Synchronous, so suites can decide at registration time whether to run. */
export function canUseNetns(binaries: readonly string[] = DEFAULT_BINARIES): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `running as uid ${uid ?? 'unknown'}, not root` };
  const missing = binaries.filter((name) => !findBinary(name));
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install -y iptables conntrack iproute2)` };
  }
  return { ok: true };
}

export interface DescribeIfNetnsOptions {
  /** Binaries the suite needs besides root; default `ip` and `iptables`. */
  readonly binaries?: readonly string[];
}

/**
 * `describe` when network namespaces can be used, otherwise the suite is registered as skipped and ONE line says
 * why, so a non-root run stays green and explains itself.
 */
export function describeIfNetns(name: string, body: () => void, options: DescribeIfNetnsOptions = {}): void {
  const binaries = options.binaries ?? DEFAULT_BINARIES;
  const support = canUseNetns(binaries);
  if (support.ok) {
    describe(name, body);
    return;
  }
  console.warn(`SKIP ${name}: needs root and ${binaries.join(', ')} (${support.reason})`);
  describe.skip(name, body);
}

import { readFile, writeFile } from 'node:fs/promises';
import { type CommandRunner, runChecked } from './command-runner.js';

/** Reads and writes `/proc/sys` keys given in slash form, e.g. `net/ipv4/conf/all/route_localnet`. */
export interface SysctlAccess {
  read(key: string): Promise<string>;
  write(key: string, value: string): Promise<void>;
}

/** The calling process's own network namespace (what NMI uses in production). */
export const procSysctl: SysctlAccess = {
  read: (key) => readFile(`/proc/sys/${key}`, 'utf8'),
  write: (key, value) => writeFile(`/proc/sys/${key}`, `${value}\n`),
};

/**
 * Through a command runner, so a prefixed runner (`ip netns exec NS`) reads that namespace's values: /proc/sys/net
 * shows the namespace of whoever opens it.
 */
export function sysctlViaRunner(runner: CommandRunner): SysctlAccess {
  return {
    async read(key) {
      return (await runChecked(runner, 'cat', [`/proc/sys/${key}`])).stdout;
    },
    async write(key, value) {
      await runChecked(runner, 'sysctl', ['-q', '-w', `${key}=${value}`]);
    },
  };
}

export interface RouteLocalnetOptions {
  /** The DNAT target; only 127.0.0.0/8 targets need route_localnet. */
  readonly targetIp: string;
  /** The pod-facing interface, when one is known; `all` is always consulted (the kernel ORs the two). */
  readonly interfaceName?: string;
  readonly sysctl?: SysctlAccess;
  /** Write 1 to the key that is missing (the interface's if given, else `all`). Upstream never does this. */
  readonly enable?: boolean;
}

export interface RouteLocalnetStatus {
  /** True when packets DNAT'ed to the target from PREROUTING will be delivered. */
  readonly ok: boolean;
  readonly required: boolean;
  /** Set by this call when `enable` was given. */
  readonly enabled?: string;
  /** What is missing and how to fix it; present when `ok` is false. */
  readonly problem?: string;
}

const keyFor = (scope: string) => `net/ipv4/conf/${scope}/route_localnet`;
const dotted = (key: string) => key.replaceAll('/', '.');

/**
 * Checks `route_localnet`: without it the kernel drops packets DNAT'ed from PREROUTING to 127.0.0.1 as martians,
 * and every pod request to the metadata IP times out with nothing in NMI's log.
 */
export async function checkRouteLocalnet(options: RouteLocalnetOptions): Promise<RouteLocalnetStatus> {
  if (!options.targetIp.startsWith('127.')) return { ok: true, required: false };
  const sysctl = options.sysctl ?? procSysctl;
  const scopes = ['all', ...(options.interfaceName === undefined ? [] : [options.interfaceName])];
  for (const scope of scopes) {
    if ((await sysctl.read(keyFor(scope))).trim() === '1') return { ok: true, required: true };
  }
  const key = keyFor(options.interfaceName ?? 'all');
  if (options.enable === true) {
    await sysctl.write(key, '1');
    return { ok: true, required: true, enabled: dotted(key) };
  }
  const checked = scopes.map((scope) => `${dotted(keyFor(scope))}=0`).join(', ');
  return {
    ok: false,
    required: true,
    problem:
      `the DNAT target ${options.targetIp} is a loopback address, which needs route_localnet, but ${checked}; ` +
      `pods' metadata requests will be dropped. Run: sysctl -w ${dotted(key)}=1`,
  };
}

/** The component names upstream puts in its user agent. */
export type PodidComponent = 'MIC' | 'NMI';

export interface UserAgentParts {
  component: PodidComponent;
  version: string;
  gitCommit?: string;
  buildDate?: string;
  /** `--custom-user-agent`: appended after a space when non-empty. */
  customUserAgent?: string;
}

/**
 * Upstream's user-agent layout (spec §5.3) with podid's own name, so audit logs tell podid from aad-pod-identity while
 * filters on `/<component>/` keep working: `podid/<component>/<version>/<git commit>/<build date>[ <custom>]`.
 */
export function formatUserAgent(parts: UserAgentParts): string {
  const base = `podid/${parts.component}/${parts.version}/${parts.gitCommit ?? 'unknown'}/${parts.buildDate ?? 'unknown'}`;
  const custom = parts.customUserAgent?.trim();
  return custom ? `${base} ${custom}` : base;
}

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
 * Upstream's user agent (spec §5.3), kept byte-compatible so cluster audit filters written for aad-pod-identity keep
 * matching: `aad-pod-identity/<component>/<version>/<git commit>/<build date>[ <custom>]`.
 */
export function formatUserAgent(parts: UserAgentParts): string {
  const base = `aad-pod-identity/${parts.component}/${parts.version}/${parts.gitCommit ?? 'unknown'}/${parts.buildDate ?? 'unknown'}`;
  const custom = parts.customUserAgent?.trim();
  return custom ? `${base} ${custom}` : base;
}

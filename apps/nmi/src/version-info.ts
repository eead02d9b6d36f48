import { readFileSync } from 'node:fs';

/** What `--version` prints and what goes into the user agent. */
export interface VersionInfo {
  readonly name: string;
  readonly version: string;
  readonly gitCommit: string;
  readonly buildDate: string;
}

interface PackageManifest {
  readonly name?: unknown;
  readonly version?: unknown;
}

/**
 * The version comes from this app's package.json (one level above both `src/` and `dist/`), so a published package
 * and a checkout report the same thing. Commit and build date are stamped by image builds through the environment
 * (`PODID_GIT_COMMIT`, `PODID_BUILD_DATE`); a developer's run says `unknown` rather than guessing.
 */
export function readVersionInfo(env: Readonly<Record<string, string | undefined>> = process.env): VersionInfo {
  let manifest: PackageManifest = {};
  try {
    manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageManifest;
  } catch {
    // A bundled or relocated build without its manifest still starts; it just cannot say its version.
  }
  return {
    name: typeof manifest.name === 'string' ? manifest.name : '@podid/nmi',
    version: typeof manifest.version === 'string' ? manifest.version : '0.0.0-unknown',
    gitCommit: env['PODID_GIT_COMMIT'] || 'unknown',
    buildDate: env['PODID_BUILD_DATE'] || 'unknown',
  };
}

/** One line, e.g. `@podid/nmi 0.1.0 (commit abc1234, built 2026-01-01)`. */
export function formatVersionLine(info: VersionInfo): string {
  return `${info.name} ${info.version} (commit ${info.gitCommit}, built ${info.buildDate})`;
}

import { readFileSync } from 'node:fs';

/** What `--version` prints and what goes into the user agent and the start-up log line. */
export interface BuildInfo {
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
 * A program's name and version from its package.json (pass `new URL('../package.json', import.meta.url)` from the
 * app's `src/` or `dist/`, so a published package and a checkout say the same), plus the commit and build date that
 * image builds stamp into the environment (`PODID_GIT_COMMIT`, `PODID_BUILD_DATE`). A bundled or relocated build
 * without its manifest still starts; it reports `fallbackName` and an unknown version rather than failing.
 */
export function readBuildInfo(
  manifestUrl: URL,
  fallbackName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BuildInfo {
  let manifest: PackageManifest = {};
  try {
    manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as PackageManifest;
  } catch {
    // Keep the fallbacks below.
  }
  return {
    name: typeof manifest.name === 'string' ? manifest.name : fallbackName,
    version: typeof manifest.version === 'string' ? manifest.version : '0.0.0-unknown',
    gitCommit: env['PODID_GIT_COMMIT'] || 'unknown',
    buildDate: env['PODID_BUILD_DATE'] || 'unknown',
  };
}

/** One line, e.g. `@podid/nmi 0.1.0 (commit abc1234, built 2026-01-01)`. */
export function formatVersionLine(info: BuildInfo): string {
  return `${info.name} ${info.version} (commit ${info.gitCommit}, built ${info.buildDate})`;
}

import fs from 'node:fs';

export interface BuildInfo {
  readonly version: string;
  readonly gitCommit: string;
  readonly buildDate: string;
}

/**
 * This program's version from its package.json (found next to `src/` and `dist/` alike), and the commit and date a
 * release build stamps into the environment (PODID_GIT_COMMIT, PODID_BUILD_DATE).
 */
export function readBuildInfo(env: Readonly<Record<string, string | undefined>> = process.env): BuildInfo {
  let version = 'unknown';
  try {
    const text = fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    version = (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    // Bundled or relocated: keep 'unknown' rather than fail at start-up.
  }
  return {
    version,
    gitCommit: env['PODID_GIT_COMMIT'] || 'unknown',
    buildDate: env['PODID_BUILD_DATE'] || 'unknown',
  };
}

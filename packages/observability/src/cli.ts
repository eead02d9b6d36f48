// The command-line helpers only: no logger or metrics libraries are loaded, so a program can parse its flags and
// answer `--help`, `--version` and flag errors before it imports anything heavy.
export { type BuildInfo, formatVersionLine, readBuildInfo } from './build-info.js';
export type { LogFormat } from './logger.js';
export { isLogFormat, loggingFlags, profilingFlags } from './logging-flags.js';

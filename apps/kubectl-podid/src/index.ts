// The command line, for embedding and tests
export { type CliIo, EXIT_NO_IDENTITY, EXIT_OK, EXIT_USAGE, runCli } from './cli.js';
export { CliError, type CliErrorCode } from './errors.js';

// Pure diagnosis over objects already read
export { clusterStatus, type StatusInput } from './cluster-status.js';
export { type ExplainInput, explainPod } from './explain-pod.js';
export { editDistance, nearestSelectors, type SelectorNearMiss } from './nearest-selectors.js';
export type * from './explanation-types.js';
export type * from './status-types.js';

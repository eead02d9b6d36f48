export { startKubeEmulator } from './start-emulator.js';
export type { EmulatorAdmin, KubeEmulator, KubeEmulatorOptions } from './start-emulator.js';
export type { FailRequestsOptions, RequestVerb } from './fault-injection.js';
export type { Kubeconfig } from './kubeconfig.js';
export { ApiError } from './status-errors.js';
export type { ApiErrorCode, KubeStatus, StatusCause, StatusDetails } from './status-errors.js';
export { parseFieldSelector, parseLabelSelector } from './selectors.js';
export { applyMergePatch, applyStrategicMergePatch } from './patching.js';

// The NMI program as a library, for the sandbox and end-to-end tests; `main.ts` is the command-line entry point.
export type { LogFormat } from '@podid/observability';
export { type BuildInfo, formatVersionLine, readBuildInfo } from '@podid/observability/cli';
export {
  loadNmiConfig,
  MANAGED_WITHOUT_NAMESPACED_MESSAGE,
  type NmiConfig,
  type NmiConfigInput,
  type NmiConfigOutcome,
  type OperationMode,
} from './config.js';
export { nmiFlags } from './flags.js';
export { bindNmiMetrics, MAX_RESOURCE_LABEL_VALUES } from './metrics-binding.js';
export { createRequestLogger } from './request-log.js';
export { type NmiAgent, type NmiAgentOptions, startNmiAgent } from './nmi-agent.js';
export { type NmiProcessIo, runNmi, TERMINATION_MESSAGE } from './run-nmi.js';
export { NmiStartupError, type NmiStartupErrorCode } from './startup-error.js';

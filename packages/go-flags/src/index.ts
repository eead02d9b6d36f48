export {
  type FlagDefinition,
  type FlagDefinitions,
  type FlagType,
  type FlagValues,
  deepFreeze,
  formatGoFlagsHelp,
  invalidFlagValue,
  normaliseGoArgs,
  type ParseOutcome,
  parseGoFlags,
  type ProgramInfo,
} from './flags.js';
export {
  FlagValueError,
  formatGoDuration,
  parseGoBool,
  parseGoDuration,
  parseGoFloat,
  parseGoInt,
  parsePort,
} from './values.js';

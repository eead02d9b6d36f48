export {
  type FlagDefinition,
  type FlagDefinitions,
  type FlagType,
  type FlagValues,
  formatGoFlagsHelp,
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
} from './values.js';

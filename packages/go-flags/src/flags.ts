import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatGoDuration, parseGoBool, parseGoDuration, parseGoFloat, parseGoInt, parsePort } from './values.js';

interface FlagTypeValue {
  string: string;
  bool: boolean;
  int: number;
  float: number;
  /** Go `time.Duration`, held in milliseconds. */
  duration: number;
  /** A TCP port written as a string, as upstream's flags do ("8080" or ":8080"). */
  port: number;
}
export type FlagType = keyof FlagTypeValue;

export interface FlagDefinition<T extends FlagType = FlagType> {
  readonly type: T;
  readonly default: FlagTypeValue[T];
  readonly description: string;
  /** Shown in help as "(deprecated: …)"; the flag still parses. */
  readonly deprecated?: string;
  /** Accepted but left out of the help text (e.g. klog flags kept for command-line compatibility). */
  readonly hidden?: boolean;
}

/** Flag definitions keyed by the flag's exact name as typed on the command line, without dashes. */
export type FlagDefinitions = Readonly<Record<string, FlagDefinition>>;

export type FlagValues<D extends FlagDefinitions> = { -readonly [K in keyof D]: FlagTypeValue[D[K]['type']] };

export type ParseOutcome<D extends FlagDefinitions> =
  | { readonly kind: 'ok'; readonly values: FlagValues<D>; readonly explicit: ReadonlySet<keyof D & string> }
  | { readonly kind: 'help'; readonly text: string }
  /** A bad command line. Go's flag package exits with status 2 here, and so should callers. */
  | { readonly kind: 'error'; readonly message: string };

export interface ProgramInfo {
  readonly name: string;
  readonly summary: string;
}

/** Converts a value parser's error into commander's, so its message names the offending flag. */
function asArgParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

function defaultLabel(definition: FlagDefinition): string {
  if (definition.type === 'duration') return formatGoDuration(definition.default as number);
  if (definition.type === 'port') return String(definition.default);
  return JSON.stringify(definition.default);
}

function buildOption(name: string, definition: FlagDefinition): Option {
  const deprecation = definition.deprecated ? ` (deprecated: ${definition.deprecated})` : '';
  const description = `${definition.description}${deprecation}`;
  let option: Option;
  switch (definition.type) {
    case 'bool':
      // Go accepts `-flag`, `-flag=true` and `-flag=false`; an optional value with a preset models exactly that.
      option = new Option(`--${name} [bool]`, description).preset('true').argParser(asArgParser(parseGoBool));
      break;
    case 'int':
      option = new Option(`--${name} <int>`, description).argParser(asArgParser(parseGoInt));
      break;
    case 'float':
      option = new Option(`--${name} <float>`, description).argParser(asArgParser(parseGoFloat));
      break;
    case 'duration':
      option = new Option(`--${name} <duration>`, description).argParser(asArgParser(parseGoDuration));
      break;
    case 'port':
      option = new Option(`--${name} <port>`, description).argParser(asArgParser(parsePort));
      break;
    default:
      option = new Option(`--${name} <string>`, description);
  }
  option.default(definition.default, defaultLabel(definition));
  if (definition.hidden) option.hideHelp();
  return option;
}

/**
 * Rewrites Go's single-dash long flags (`-kubeconfig=x`, `-v 2`) to the double-dash form commander understands.
 * Only names that are defined flags are rewritten, and nothing after a `--` terminator.
 */
export function normaliseGoArgs(argv: readonly string[], definitions: FlagDefinitions): string[] {
  const out: string[] = [];
  let terminated = false;
  for (const arg of argv) {
    if (terminated || arg === '--') {
      terminated = true;
      out.push(arg);
      continue;
    }
    if (arg.startsWith('-') && !arg.startsWith('--') && arg.length > 1) {
      const name = arg.slice(1).split('=', 1)[0] as string;
      if (Object.hasOwn(definitions, name)) {
        out.push(`-${arg}`);
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

/**
 * Parses a command line (without the node and script arguments) against Go-style flag definitions.
 * Never exits the process and never prints: the caller decides (exit 2 on `error`, as Go programs do).
 */
export function parseGoFlags<D extends FlagDefinitions>(
  definitions: D,
  argv: readonly string[],
  program: ProgramInfo,
): ParseOutcome<D> {
  let output = '';
  const command = new Command(program.name)
    .description(program.summary)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .allowUnknownOption(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        output += text;
      },
      writeErr: (text) => {
        output += text;
      },
      outputError: () => {},
    });
  const attributeByName = new Map<string, string>();
  for (const [name, definition] of Object.entries(definitions)) {
    const option = buildOption(name, definition);
    attributeByName.set(name, option.attributeName());
    command.addOption(option);
  }

  try {
    command.parse(normaliseGoArgs(argv, definitions), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
        return { kind: 'help', text: output };
      }
      return { kind: 'error', message: error.message.replace(/^error: /, '') };
    }
    throw error;
  }

  const parsed = command.opts();
  const values: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const [name, attribute] of attributeByName) {
    values[name] = parsed[attribute];
    if (command.getOptionValueSource(attribute) === 'cli') explicit.add(name);
  }
  return { kind: 'ok', values: values as FlagValues<D>, explicit: explicit as ReadonlySet<keyof D & string> };
}

/** Help text for the definitions, for `--help` and for error messages. */
export function formatGoFlagsHelp(definitions: FlagDefinitions, program: ProgramInfo): string {
  const outcome = parseGoFlags(definitions, ['--help'], program);
  return outcome.kind === 'help' ? outcome.text : '';
}

/** The message for a flag value that parses but is out of range: it names the flag, as Go's flag errors do. */
export function invalidFlagValue(flag: string, value: unknown, why: string): string {
  return `invalid value ${JSON.stringify(value)} for flag --${flag}: ${why}`;
}

/** Freezes a configuration built from flags, all the way down, so nothing can change it after start-up. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

// Value syntaxes of Go's `flag`/`pflag` packages, so podid accepts every command line written for
// aad-pod-identity (Helm charts and manifests pass values such as `--syncRetryDuration=1h0m0s`).

/** A flag value that does not parse. `code` is stable; `message` is for the person at the terminal. */
export class FlagValueError extends Error {
  readonly code: 'invalid_duration' | 'invalid_bool' | 'invalid_int' | 'invalid_float' | 'invalid_port';
  constructor(code: FlagValueError['code'], message: string) {
    super(message);
    this.name = 'FlagValueError';
    this.code = code;
  }
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go `time.Duration` string ("1h0m0s", "15s", "1.5h", "300ms", "-2m") into milliseconds.
 * As in Go, a unit is required for every number except a bare "0".
 */
export function parseGoDuration(text: string): number {
  const input = text.trim();
  let sign = 1;
  let rest = input;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new FlagValueError('invalid_duration', `time: invalid duration "${text}"`);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const start = DURATION_PART.lastIndex;
    const match = DURATION_PART.exec(rest);
    if (!match || match.index !== start) {
      throw new FlagValueError('invalid_duration', `time: invalid duration "${text}"`);
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a `time.Duration` ("1h0m0s", "15s", "500ms"), for help text. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${abs}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's `strconv.ParseBool`: exactly these spellings and no others. */
export function parseGoBool(text: string): boolean {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new FlagValueError('invalid_bool', `strconv.ParseBool: parsing "${text}": invalid syntax`);
}

/** A base-10 integer; rejects fractions, empty strings and trailing junk that `parseInt` would accept. */
export function parseGoInt(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) {
    throw new FlagValueError('invalid_int', `strconv.ParseInt: parsing "${text}": invalid syntax`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new FlagValueError('invalid_int', `strconv.ParseInt: parsing "${text}": value out of range`);
  }
  return value;
}

/** A finite decimal number ("5", "2.5", "1e3"). */
export function parseGoFloat(text: string): number {
  const trimmed = text.trim();
  const value = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(value)) {
    throw new FlagValueError('invalid_float', `strconv.ParseFloat: parsing "${text}": invalid syntax`);
  }
  return value;
}

/** A TCP port, written "8080" or ":8080" (upstream's port flags are strings joined after a colon). */
export function parsePort(text: string): number {
  const digits = text.startsWith(':') ? text.slice(1) : text;
  const port = Number(digits);
  if (!/^\d+$/.test(digits) || port > 65535) {
    throw new FlagValueError('invalid_port', `"${text}" is not a TCP port number (0-65535)`);
  }
  return port;
}

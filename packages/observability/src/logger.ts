import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { BatchedFdWriter } from './batched-fd-writer.js';
import { redactSecrets } from './redact.js';

export type LogFormat = 'text' | 'json';
export type { Logger };

export interface CreateLoggerOptions {
  /** `MIC` or `NMI`: bound into every line. */
  readonly component: string;
  readonly format: LogFormat;
  /** klog's `-v`: 0 logs info and above, 4 and above adds debug, 6 and above adds trace. */
  readonly verbosity?: number;
  /**
   * Where lines go; standard error by default, as klog does. `{ fd }` queues lines and writes them to that file
   * descriptor together once per turn of the event loop, and whatever is queued when the process exits
   * (`process.exit` included, which is how a signal-driven shutdown ends): see BatchedFdWriter. A stream is written
   * to directly, one write per line.
   */
  readonly destination?: NodeJS.WritableStream | { readonly fd: number };
}

const KLOG_SEVERITY: Readonly<Record<number, string>> = { 10: 'I', 20: 'I', 30: 'I', 40: 'W', 50: 'E', 60: 'F' };

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Renders one pino JSON line as a klog-style text line (`I1122 21:30:00.123000   42 mic] message key=value`), so
 * operators' habits from aad-pod-identity (e.g. `kubectl logs ... | grep ^E`) keep working.
 */
export function formatKlogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, pid, component, msg } = record;
  const severity = KLOG_SEVERITY[typeof level === 'number' ? level : 30] ?? 'I';
  const tag = typeof component === 'string' ? component.toLowerCase() : 'podid';
  let text = `${severity}${klogStamp(typeof time === 'number' ? time : Date.now())} ${String(pid ?? '').padStart(7)} ${tag}] ${String(msg ?? '')}`;
  for (const key in record) {
    if (KLOG_HEADER_FIELDS.has(key)) continue;
    text += ` ${key}=${JSON.stringify(record[key])}`;
  }
  return `${text}\n`;
}

/** Fields already in the klog header (or, for `hostname`, never shown). */
const KLOG_HEADER_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'component', 'msg', 'hostname']);

/** `MMDD hh:mm:ss.uuuuuu` in UTC; consecutive lines usually share their millisecond, so the last one is kept. */
let lastStamp = { ms: Number.NaN, text: '' };
function klogStamp(ms: number): string {
  if (ms === lastStamp.ms) return lastStamp.text;
  const at = new Date(ms);
  const text =
    `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}000`;
  lastStamp = { ms, text };
  return text;
}

function levelFor(verbosity: number): 'trace' | 'debug' | 'info' {
  if (verbosity >= 6) return 'trace';
  if (verbosity >= 4) return 'debug';
  return 'info';
}

/**
 * Child-logger bindings are serialised once, when the child is made, and pino's `formatters.bindings` does not run
 * for children; so `child` itself redacts them. Children inherit this `child` through their prototype chain, and
 * `this` is whichever logger it is called on, so grandchildren keep their parents' bindings.
 */
function redactingChildBindings(logger: Logger): Logger {
  const makeChild = logger.child;
  logger.child = function child(this: Logger, bindings, options) {
    return makeChild.call(this, redactSecrets(bindings), options);
  } as Logger['child'];
  return logger;
}

/** What `logLine` needs to render a text line itself: only for loggers made by `createLogger` (not children). */
interface TextSink {
  readonly stream: { write(line: string): unknown };
  readonly prefix: string;
}
const textSinks = new WeakMap<Logger, TextSink>();

const SEVERITY_BY_NAME = { info: 'I', warn: 'W', error: 'E' } as const;

/**
 * One line on a hot path (NMI's per-request line). For a text logger made by `createLogger` the klog line is rendered
 * straight from the fields (plain JSON values, as request lines carry), exactly as `formatKlogLine` renders pino's JSON of them, without pino serialising
 * them to JSON and the text hook parsing that JSON back (about 10 µs of a 15 µs line). Any other logger (JSON
 * format, a child with bindings) logs through pino as usual. Secrets are redacted either way.
 */
export function logLine(
  logger: Logger,
  level: keyof typeof SEVERITY_BY_NAME,
  fields: Record<string, unknown>,
  message: string,
): void {
  const sink = textSinks.get(logger);
  if (sink === undefined) {
    logger[level](fields, message);
    return;
  }
  if (!logger.isLevelEnabled(level)) return;
  const safe = redactSecrets(fields);
  let text = `${SEVERITY_BY_NAME[level]}${klogStamp(Date.now())}${sink.prefix}${message}`;
  for (const key in safe) {
    const value = safe[key];
    // JSON.stringify drops undefined values; so does pino.
    if (value !== undefined && !KLOG_HEADER_FIELDS.has(key)) text += ` ${key}=${klogValue(value)}`;
  }
  sink.stream.write(`${text}\n`);
}

/** Characters JSON.stringify escapes in a string. */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

/** `JSON.stringify(value)`, without its cost for the plain strings and finite numbers request lines are made of. */
function klogValue(value: unknown): string {
  if (typeof value === 'string') return NEEDS_ESCAPING.test(value) ? JSON.stringify(value) : `"${value}"`;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? 'null';
}

function destinationStream(destination: CreateLoggerOptions['destination']): DestinationStream {
  if (destination === undefined) return process.stderr;
  if ('fd' in destination) return new BatchedFdWriter(destination.fd);
  return destination as DestinationStream;
}

/** Writes out whatever an asynchronous destination still holds (a no-op for streams). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** The process logger: pino, with secrets redacted, in klog-like text or JSON lines. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const target = destinationStream(options.destination);
  const loggerOptions: LoggerOptions = {
    level: levelFor(options.verbosity ?? 0),
    base: { pid: process.pid, component: options.component },
    formatters: { log: (object) => redactSecrets(object) },
    timestamp: pino.stdTimeFunctions.epochTime,
    // Text lines are rendered from each JSON line as pino writes it: one write per line, no second stream.
    ...(options.format === 'text' ? { hooks: { streamWrite: formatKlogLine } } : {}),
  };
  const logger = redactingChildBindings(pino(loggerOptions, target));
  if (options.format === 'text') {
    textSinks.set(logger, {
      stream: target,
      prefix: ` ${String(process.pid).padStart(7)} ${options.component.toLowerCase()}] `,
    });
  }
  return logger;
}

import { Writable } from 'node:stream';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { SECRET_LOG_PATHS } from './redact.js';

export type LogFormat = 'text' | 'json';
export type { Logger };

export interface CreateLoggerOptions {
  /** `MIC` or `NMI`: bound into every line. */
  readonly component: string;
  readonly format: LogFormat;
  /** klog's `-v`: 0 logs info and above, 4 and above adds debug, 6 and above adds trace. */
  readonly verbosity?: number;
  /** Where lines go; standard error by default, as klog does. */
  readonly destination?: NodeJS.WritableStream;
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
  const { level, time, pid, component, msg, hostname: _hostname, ...fields } = record;
  const at = new Date(typeof time === 'number' ? time : Date.now());
  const stamp =
    `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}000`;
  const severity = KLOG_SEVERITY[typeof level === 'number' ? level : 30] ?? 'I';
  const rendered = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)}`)
    .join(' ');
  const tag = typeof component === 'string' ? component.toLowerCase() : 'podid';
  return `${severity}${stamp} ${String(pid ?? '').padStart(7)} ${tag}] ${String(msg ?? '')}${rendered ? ` ${rendered}` : ''}\n`;
}

function klogStream(target: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') target.write(formatKlogLine(line));
      }
      callback();
    },
  });
}

function levelFor(verbosity: number): 'trace' | 'debug' | 'info' {
  if (verbosity >= 6) return 'trace';
  if (verbosity >= 4) return 'debug';
  return 'info';
}

/** The process logger: pino, with secrets redacted, in klog-like text or JSON lines. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const target = options.destination ?? process.stderr;
  const loggerOptions: LoggerOptions = {
    level: levelFor(options.verbosity ?? 0),
    base: { pid: process.pid, component: options.component },
    redact: { paths: [...SECRET_LOG_PATHS], censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.epochTime,
  };
  const destination = options.format === 'json' ? (target as DestinationStream) : klogStream(target);
  return pino(loggerOptions, destination);
}

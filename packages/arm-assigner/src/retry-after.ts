/**
 * `Retry-After` (RFC 9110 §10.2.3) as ARM sends it, read strictly:
 * - `delta-seconds`: one or more ASCII digits;
 * - an `IMF-fixdate`: `Sun, 06 Nov 1994 08:49:37 GMT` exactly (the obsolete RFC 850 and asctime forms, and
 *   anything else `Date.parse` happens to accept, are not read).
 * The wait is capped at {@link RETRY_AFTER_CAP_MS}: a wrong or hostile header must not stop MIC's ARM calls for
 * hours. Anything not read is reported, so the caller can log it; upstream then backs off 0 s, and so does podid.
 */

/** Longest back-off one Retry-After can impose: 5 minutes (MIC's longest cycle retry back-off). */
export const RETRY_AFTER_CAP_MS = 5 * 60_000;

export type RetryAfter =
  /** No header, or one that asks for no wait (0, a date not in the future). */
  | { readonly kind: 'none' }
  | { readonly kind: 'wait'; readonly deadline: number; readonly capped: boolean }
  /** A header that is not one of RFC 9110's forms: ignored (no back-off). `value` is cut to 64 characters. */
  | { readonly kind: 'ignored'; readonly value: string; readonly reason: string };

const DELTA_SECONDS = /^\d+$/;
const DAY = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) (${MONTHS.join('|')}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Epoch ms of an IMF-fixdate, or undefined when it is not one (including impossible dates and a wrong weekday). */
function parseImfFixdate(text: string): number | undefined {
  const match = IMF_FIXDATE.exec(text);
  if (match === null) return undefined;
  const [, weekday, day, month, year, hour, minute, second] = match as unknown as string[];
  const ms = Date.UTC(
    Number(year),
    MONTHS.indexOf(month as string),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const date = new Date(ms);
  const exact =
    date.getUTCDate() === Number(day) &&
    date.getUTCHours() === Number(hour) &&
    date.getUTCMinutes() === Number(minute) &&
    date.getUTCSeconds() === Number(second) &&
    WEEKDAYS[date.getUTCDay()] === weekday;
  return exact ? ms : undefined;
}

export function parseRetryAfter(headerValue: string | undefined | null, nowMs: number): RetryAfter {
  if (headerValue === undefined || headerValue === null) return { kind: 'none' };
  // Field values may carry optional whitespace around them (RFC 9110 §5.5), nothing else.
  const text = headerValue.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text === '') return { kind: 'none' };
  let waitMs: number;
  if (DELTA_SECONDS.test(text)) {
    waitMs = Number(text) * 1000; // may be Infinity for absurd digit strings: capped below
  } else {
    const at = parseImfFixdate(text);
    if (at === undefined) {
      return {
        kind: 'ignored',
        value: text.slice(0, 64),
        reason: 'not delta-seconds or an IMF-fixdate (RFC 9110)',
      };
    }
    waitMs = at - nowMs;
  }
  if (!(waitMs > 0)) return { kind: 'none' };
  const capped = waitMs > RETRY_AFTER_CAP_MS;
  return { kind: 'wait', deadline: nowMs + Math.min(waitMs, RETRY_AFTER_CAP_MS), capped };
}

/** The deadline (epoch ms) a `Retry-After` value sets, or undefined for none (absent, zero, past or ignored). */
export function retryAfterDeadline(headerValue: string | undefined | null, nowMs: number): number | undefined {
  const parsed = parseRetryAfter(headerValue, nowMs);
  return parsed.kind === 'wait' ? parsed.deadline : undefined;
}

/** A line for the log about a header that was ignored or capped; undefined when there is nothing to say. */
export function retryAfterNote(parsed: RetryAfter): string | undefined {
  if (parsed.kind === 'ignored') return `ignored Retry-After ${JSON.stringify(parsed.value)}: ${parsed.reason}`;
  if (parsed.kind === 'wait' && parsed.capped) return `Retry-After capped at ${RETRY_AFTER_CAP_MS / 1000} s`;
  return undefined;
}

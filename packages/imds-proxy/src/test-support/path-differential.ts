import type { FakeImdsCall } from './fake-imds.js';
import { CLOSED_WITHOUT_ANSWER, HUNG, NOT_SENT, type RawAnswer } from './raw-http-pool.js';
import { type TargetReadings, outsideAllowList, readTarget } from './reference-parsers.js';

/**
 * The verdict of one differential run (issue 14): what NMI answered for each corpus target, what the fake IMDS
 * received, and every way that breaks the rule "a target that any reference parser reads as sensitive never
 * reaches IMDS, and nothing IMDS receives reads as sensitive to any parser".
 */

export const CORPUS_ID_HEADER = 'x-corpus-id';

const readingsCache = new Map<string, TargetReadings>();

/** `readTarget`, memoised: a run reads every corpus target more than once, and 13 parsers are not free. */
export function readTargetOnce(target: string): TargetReadings {
  let readings = readingsCache.get(target);
  if (!readings) {
    readings = readTarget(target);
    readingsCache.set(target, readings);
  }
  return readings;
}

export interface DifferentialMode {
  /** `--allowed-metadata-paths`: anything a parser reads outside it is sensitive too. */
  readonly allowList?: readonly string[];
  /** `--block-instance-metadata`: anything a parser reads as the instance document is sensitive too. */
  readonly blockInstance?: boolean;
}

export type ViolationKind =
  /** The unbound caller got a 200 carrying an access token. */
  | 'token-leaked'
  /** IMDS received a target that some parser reads as sensitive. */
  | 'sensitive-target-forwarded'
  /** A sensitive target was answered 1xx-3xx (neither refused nor a failed token-route answer). */
  | 'sensitive-target-answered-ok'
  /** IMDS received bytes that some parser reads as sensitive (checked on what IMDS recorded, not on what was sent). */
  | 'imds-received-sensitive-path'
  /** IMDS received a request that carries no corpus id: cannot prove which target it came from. */
  | 'imds-call-unattributed'
  /** NMI never answered (the handler threw or hung): a request must never stop NMI. */
  | 'request-hung'
  /** Not sent, because NMI had stopped answering. */
  | 'not-sent';

export interface Violation {
  readonly kind: ViolationKind;
  readonly target: string;
  readonly detail: string;
  /** The reference parsers whose reading made the target sensitive (for the per-parser summary). */
  readonly parsers?: readonly string[];
}

function parserNames(reasons: readonly string[]): string[] {
  return [...new Set(reasons.map((reason) => reason.slice(0, reason.indexOf('='))))];
}

/** Why a target is sensitive in this mode: `parser=reading` for each parser that makes it so, or an empty list. */
export function sensitiveReadings(readings: TargetReadings, mode: DifferentialMode): string[] {
  const reasons = readings.token.map((name) => `${name}=token`);
  if (mode.blockInstance) reasons.push(...readings.instance.map((name) => `${name}=instance`));
  if (mode.allowList) {
    for (const name of outsideAllowList(readings, mode.allowList)) {
      reasons.push(`${name}=${JSON.stringify(readings.byParser[name])} (outside allow-list)`);
    }
  }
  return reasons;
}

export function judgeDifferential(
  corpus: readonly string[],
  answers: readonly RawAnswer[],
  imdsCalls: readonly FakeImdsCall[],
  mode: DifferentialMode,
): Violation[] {
  const violations: Violation[] = [];
  const receivedById = new Map<number, FakeImdsCall[]>();
  for (const call of imdsCalls) {
    const header = call.headers[CORPUS_ID_HEADER];
    const id = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    if (id === undefined || id >= corpus.length) {
      violations.push({ kind: 'imds-call-unattributed', target: call.rawTarget, detail: 'no corpus id header' });
    } else {
      const list = receivedById.get(id) ?? [];
      list.push(call);
      receivedById.set(id, list);
    }
    // Whatever NMI sent, judged on the bytes IMDS actually got.
    const reasons = sensitiveReadings(readTargetOnce(call.rawTarget), mode);
    if (reasons.length > 0) {
      violations.push({
        kind: 'imds-received-sensitive-path',
        target: call.rawTarget,
        detail: reasons.join(', '),
        parsers: parserNames(reasons),
      });
    }
  }
  corpus.forEach((target, id) => {
    const answer = answers[id]!;
    if (answer.status === HUNG) violations.push({ kind: 'request-hung', target, detail: 'no answer' });
    if (answer.status === NOT_SENT) violations.push({ kind: 'not-sent', target, detail: 'NMI had stopped answering' });
    if (answer.status === 200 && answer.body.includes('access_token')) {
      violations.push({ kind: 'token-leaked', target, detail: answer.body.slice(0, 120) });
    }
    const reasons = sensitiveReadings(readTargetOnce(target), mode);
    if (reasons.length === 0) return;
    if (receivedById.has(id)) {
      const seen = receivedById.get(id)!.map((call) => JSON.stringify(call.rawTarget));
      violations.push({
        kind: 'sensitive-target-forwarded',
        target,
        detail: `NMI answered ${answer.status}; IMDS received ${seen.join(' ')}; read as ${reasons.join(', ')}`,
        parsers: parserNames(reasons),
      });
    }
    // Closed without an answer: the HTTP parser refused the bytes, which is a refusal.
    if (answer.status > CLOSED_WITHOUT_ANSWER && answer.status < 400) {
      violations.push({
        kind: 'sensitive-target-answered-ok',
        target,
        detail: `NMI answered ${answer.status}; read as ${reasons.join(', ')}`,
      });
    }
  });
  return violations;
}

/** A short, readable report: counts per kind and a few examples each ('' when there is nothing to report). */
export function describeViolations(violations: readonly Violation[], examplesPerKind = 8): string {
  if (violations.length === 0) return '';
  const byKind = new Map<ViolationKind, Violation[]>();
  for (const violation of violations) {
    const list = byKind.get(violation.kind) ?? [];
    list.push(violation);
    byKind.set(violation.kind, list);
  }
  const lines: string[] = [];
  for (const [kind, list] of byKind) {
    const distinctTargets = new Set(list.map((violation) => violation.target)).size;
    lines.push(`${kind}: ${list.length} (${distinctTargets} distinct targets)`);
    const perParser = new Map<string, number>();
    for (const violation of list) {
      for (const name of violation.parsers ?? []) perParser.set(name, (perParser.get(name) ?? 0) + 1);
    }
    if (perParser.size > 0) {
      const counts = [...perParser].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`);
      lines.push(`  by parser: ${counts.join(', ')}`);
    }
    for (const violation of list.slice(0, examplesPerKind)) {
      lines.push(`  ${JSON.stringify(violation.target)} — ${violation.detail}`);
    }
  }
  return lines.join('\n');
}

import type { InputProblem, ProblemSubject } from './input-problems.js';
import { problemKey } from './input-problems.js';
import type { OncePerInterval } from './once-per-interval.js';

/** The part of kube-client's EventRecorder the reporter writes to. */
export interface WarningSink {
  warning(
    involved: {
      apiVersion?: string | undefined;
      kind: string;
      namespace?: string | undefined;
      name: string;
      uid?: string | undefined;
    },
    reason: string,
    message: string,
  ): void;
}

export interface ProblemReporterOptions {
  readonly events: WarningSink;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
  /** Decides whether this (reason, object) may be told now; {@link OncePerInterval} in MIC. */
  readonly filter: Pick<OncePerInterval, 'allow'>;
  /** The object's uid from MIC's caches, so `kubectl describe` (which selects events by uid) shows the event. */
  readonly uidOf?: (subject: ProblemSubject) => string | undefined;
}

/**
 * Tells the people who own bad input what is wrong with it: one Warning Event on the object at fault (or the
 * affected pod) and one log line naming the object, then nothing more about the same (reason, object) until the
 * filter's interval has passed, however many sync cycles meet it again.
 */
export class ProblemReporter {
  constructor(private readonly options: ProblemReporterOptions) {}

  report(problems: readonly InputProblem[]): number {
    let told = 0;
    for (const problem of problems) {
      if (!this.options.filter.allow(problemKey(problem))) continue;
      told++;
      const { subject } = problem;
      const uid = subject.uid ?? this.options.uidOf?.(subject);
      this.options.events.warning({ ...subject, uid }, problem.reason, problem.message);
      this.options.log(problem.message, {
        code: problem.code,
        reason: problem.reason,
        object: `${subject.kind}/${subject.namespace ? `${subject.namespace}/` : ''}${subject.name}`,
      });
    }
    return told;
  }
}

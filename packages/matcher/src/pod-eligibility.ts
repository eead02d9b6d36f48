import { type Pod, POD_LABEL_KEY } from '@podid/crd-types';
import type { PodSkipCode } from './types.js';

/** Phases after which a pod runs no more code, so it needs no identity (Q2). */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Whether a pod in this phase runs no more code, so it needs no identity (Q2). */
export function isTerminalPhase(phase: string | undefined): boolean {
  return TERMINAL_PHASES.has(phase ?? '');
}

export type PodEligibility =
  | { readonly eligible: true; readonly label: string; readonly nodeName: string }
  | { readonly eligible: false; readonly code: PodSkipCode; readonly message: string };

/** `namespace/name`, built only for messages: most pods are eligible and need none. */
function keyOf(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Whether a pod takes part in matching at all (§2.5 first two bullets, plus the Q2 phase check). */
export function podEligibility(pod: Pod): PodEligibility {
  const label = pod.metadata.labels?.[POD_LABEL_KEY];
  if (label === undefined) {
    return { eligible: false, code: 'pod_no_label', message: `pod ${keyOf(pod)} has no ${POD_LABEL_KEY} label` };
  }
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName === '') {
    return {
      eligible: false,
      code: 'pod_no_node',
      message: `pod ${keyOf(pod)} has no assigned node yet. it will be ignored`,
    };
  }
  if (label === '') {
    return {
      eligible: false,
      code: 'pod_empty_label',
      message: `pod ${keyOf(pod)} has an empty ${POD_LABEL_KEY} label`,
    };
  }
  const phase = pod.status?.phase ?? '';
  if (TERMINAL_PHASES.has(phase)) {
    return {
      eligible: false,
      code: 'pod_terminal_phase',
      message: `pod ${keyOf(pod)} is ${phase}; it needs no identity`,
    };
  }
  return { eligible: true, label, nodeName };
}

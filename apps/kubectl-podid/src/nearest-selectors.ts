import type { AzureIdentityBinding } from '@podid/crd-types';

export interface SelectorNearMiss {
  readonly selector: string;
  readonly binding: { readonly namespace: string; readonly name: string };
  /** Levenshtein distance between the pod's label value and the selector (case-sensitive, as matching is). */
  readonly distance: number;
  /** Equal but for letter case: matching is exact, so this is the most common near miss. */
  readonly caseInsensitiveMatch: boolean;
}

/** Most near misses reported. */
const MAX_NEAR_MISSES = 3;

/** Levenshtein distance with one rolling row (labels are at most 63 characters). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Bindings whose selector is close to, but not exactly, the pod's label value: equal ignoring case, or within an
 * edit distance of a third of the longer string (at least 2). Closest first; at most three.
 */
export function nearestSelectors(label: string, bindings: readonly AzureIdentityBinding[]): SelectorNearMiss[] {
  const misses: SelectorNearMiss[] = [];
  for (const binding of bindings) {
    const selector = binding.spec.selector ?? '';
    if (selector === label || selector === '') continue;
    const distance = editDistance(label, selector);
    const caseInsensitiveMatch = selector.toLowerCase() === label.toLowerCase();
    const limit = Math.max(2, Math.floor(Math.max(label.length, selector.length) / 3));
    if (!caseInsensitiveMatch && distance > limit) continue;
    misses.push({
      selector,
      binding: { namespace: binding.metadata.namespace, name: binding.metadata.name },
      distance,
      caseInsensitiveMatch,
    });
  }
  return misses
    .sort(
      (a, b) =>
        Number(b.caseInsensitiveMatch) - Number(a.caseInsensitiveMatch) ||
        a.distance - b.distance ||
        a.selector.localeCompare(b.selector) ||
        a.binding.namespace.localeCompare(b.binding.namespace) ||
        a.binding.name.localeCompare(b.binding.name),
    )
    .slice(0, MAX_NEAR_MISSES);
}

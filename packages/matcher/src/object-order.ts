/**
 * A total order on Kubernetes objects, so that every result of this package is independent of input order,
 * even when the input holds two versions of one object.
 */

interface Sortable {
  readonly metadata: {
    readonly namespace?: string | undefined;
    readonly name: string;
    readonly uid?: string | undefined;
    readonly resourceVersion?: string | undefined;
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareObjects(a: Sortable, b: Sortable): number {
  return (
    compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareText(a.metadata.name, b.metadata.name) ||
    compareText(a.metadata.uid ?? '', b.metadata.uid ?? '') ||
    compareText(a.metadata.resourceVersion ?? '', b.metadata.resourceVersion ?? '')
  );
}

/** The order of {@link compareObjects} for two objects in the same namespace. */
function compareInNamespace(a: Sortable, b: Sortable): number {
  return (
    compareText(a.metadata.name, b.metadata.name) ||
    compareText(a.metadata.uid ?? '', b.metadata.uid ?? '') ||
    compareText(a.metadata.resourceVersion ?? '', b.metadata.resourceVersion ?? '')
  );
}

/**
 * Sorted copy; ties beyond (namespace, name, uid, resourceVersion) are broken by the extra key.
 *
 * Clusters hold many objects in few namespaces, so the objects are grouped by namespace first and each group is
 * sorted on its own: the same order as one sort by {@link compareObjects} (Array#sort is stable and each group
 * keeps input order), with smaller sorts whose comparisons skip the namespace.
 */
export function sortObjects<T extends Sortable>(objects: readonly T[], tieBreak?: (object: T) => string): T[] {
  const byTieBreak = (a: T, b: T): number => (tieBreak === undefined ? 0 : compareText(tieBreak(a), tieBreak(b)));
  const byNamespace = new Map<string, T[]>();
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? '';
    // Untyped input: a non-string namespace could compare equal to a different Map key (1 vs '1').
    if (typeof namespace !== 'string') return [...objects].sort((a, b) => compareObjects(a, b) || byTieBreak(a, b));
    const group = byNamespace.get(namespace);
    if (group === undefined) byNamespace.set(namespace, [object]);
    else group.push(object);
  }
  const sorted: T[] = [];
  for (const namespace of [...byNamespace.keys()].sort(compareText)) {
    const group = byNamespace.get(namespace) ?? [];
    for (const object of group.sort((a, b) => compareInNamespace(a, b) || byTieBreak(a, b))) sorted.push(object);
  }
  return sorted;
}

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

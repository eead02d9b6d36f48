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

/** Sorted copy; ties beyond (namespace, name, uid, resourceVersion) are broken by the extra key. */
export function sortObjects<T extends Sortable>(objects: readonly T[], tieBreak?: (object: T) => string): T[] {
  return [...objects].sort(
    (a, b) => compareObjects(a, b) || (tieBreak === undefined ? 0 : compareText(tieBreak(a), tieBreak(b))),
  );
}

export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Case-insensitive equality in the spirit of Go's strings.EqualFold, which upstream used for exception label
 * values and client IDs. Comparing both case mappings catches letters whose upper and lower forms differ in count.
 */
export function equalFold(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

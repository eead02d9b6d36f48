import { hash } from 'node:crypto';
import type { AssignedIdentityNameParts } from './types.js';

/** Kubernetes' limit for object names (DNS-1123 subdomain). */
const MAX_NAME_LENGTH = 253;
/** 64 bits of SHA-256: a collision needs ~2^32 tuples by chance, 2^64 work to hit a chosen one. */
const HASH_LENGTH = 16;

/**
 * A name whose readable part {@link toSubdomainText} would return unchanged (dot-separated labels of `[a-z0-9-]`
 * that start and end alphanumeric), followed by `-` and the digest. The digest has a fixed length, so this is
 * exactly a test of the readable part.
 */
const NAME_WITH_CLEAN_TEXT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*-[0-9a-f]{16}$/;

/** Reduces any string to valid DNS-1123 subdomain characters; dot-separated labels start and end alphanumeric. */
function toSubdomainText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, ''))
    .filter((label) => label !== '')
    .join('.');
}

/**
 * Name of the AzureAssignedIdentity for pod `podNamespace/podName` and identity `identityNamespace/identityName`.
 *
 * Upstream used `<pod>-<podNamespace>-<identity>`, which collides (`a-b`+`c` vs `a`+`b-c`) and can exceed 253
 * characters (Q1). podid keeps that text as a readable prefix (truncated when needed) and appends a hash of the
 * exact tuple, so distinct tuples give distinct names, the result is always a valid name, and the same tuple always
 * gives the same name. Example: pod `p`, namespace `n`, identity `i` → `p-n-i-<16 hex digits>`.
 *
 * Names are persisted in clusters: any change to the output of this function orphans existing objects.
 */
export function assignedIdentityName(parts: AssignedIdentityNameParts): string {
  const { podNamespace, podName, identityNamespace, identityName } = parts;
  // NUL cannot occur in Kubernetes names, so the joined text identifies the tuple exactly.
  const tuple = [podNamespace, podName, identityNamespace, identityName].join('\u0000');
  // One-shot crypto.hash (Node ≥ 20.12) gives the same digest as createHash().update().digest() without building
  // a Hash object per name.
  const digest = hash('sha256', tuple, 'hex').slice(0, HASH_LENGTH);

  // Fast path, nearly every real name: `<pod>-<namespace>-<identity>` is already clean and short enough, so the
  // name is those parts and the digest as they are. (Non-string parts from untyped callers take the slow path,
  // where a template literal stringifies them exactly as before.)
  if (typeof podName === 'string' && typeof podNamespace === 'string' && typeof identityName === 'string') {
    // Array#join yields one flat string. Template literals would build a rope whose pieces, and the full 64-digit
    // digest behind the 16-digit slice, stay alive as long as the name: several times the memory per name, which
    // made garbage collection the largest cost of matching 50k pods.
    const name = [podName, podNamespace, identityName, digest].join('-');
    if (name.length <= MAX_NAME_LENGTH && NAME_WITH_CLEAN_TEXT.test(name)) return name;
  }
  const readable = toSubdomainText(`${podName}-${podNamespace}-${identityName}`)
    .slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/[-.]+$/, '');
  return readable === '' ? digest : [readable, digest].join('-');
}

import { hash } from 'node:crypto';
import type { AssignedIdentityNameParts } from './types.js';

/** Kubernetes' limit for object names (DNS-1123 subdomain). */
const MAX_NAME_LENGTH = 253;
/** 64 bits of SHA-256: a collision needs ~2^32 tuples by chance, 2^64 work to hit a chosen one. */
const HASH_LENGTH = 16;

const HYPHEN = 0x2d;
const DOT = 0x2e;

function isLowerAlphanumeric(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39);
}

/**
 * Whether the first `end` characters of `text` are what {@link toSubdomainText} returns unchanged: dot-separated
 * labels of `[a-z0-9-]` that start and end alphanumeric. A character loop because it checks a prefix in place,
 * several times faster than a regular expression that must backtrack over the digest after it.
 */
function isCleanSubdomainPrefix(text: string, end: number): boolean {
  let previous = DOT; // the first label starts here, as after a dot
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (isLowerAlphanumeric(code)) previous = code;
    else if (code === HYPHEN && previous !== DOT) previous = HYPHEN;
    else if (code === DOT && previous !== DOT && previous !== HYPHEN) previous = DOT;
    else return false;
  }
  return previous !== DOT && previous !== HYPHEN;
}

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
  // NUL cannot occur in Kubernetes names, so the joined text identifies the tuple exactly. (`?? ''` keeps what the
  // first release's Array#join made of null or undefined from untyped callers: names must never change.)
  const tuple = `${podNamespace ?? ''}\u0000${podName ?? ''}\u0000${identityNamespace ?? ''}\u0000${identityName ?? ''}`;
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
    const readableLength = name.length - HASH_LENGTH - 1;
    if (name.length <= MAX_NAME_LENGTH && isCleanSubdomainPrefix(name, readableLength)) return name;
  }
  const readable = toSubdomainText(`${podName}-${podNamespace}-${identityName}`)
    .slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/[-.]+$/, '');
  return readable === '' ? digest : [readable, digest].join('-');
}

import { hash } from 'node:crypto';
import type { AssignedIdentityNameParts } from './types.js';

/** Kubernetes' limit for object names (DNS-1123 subdomain). */
const MAX_NAME_LENGTH = 253;
/** 64 bits of SHA-256: a collision needs ~2^32 tuples by chance, 2^64 work to hit a chosen one. */
const HASH_LENGTH = 16;
/** Room for the readable part: the name minus `-` and the hash. */
const MAX_READABLE_LENGTH = MAX_NAME_LENGTH - HASH_LENGTH - 1;

/**
 * Text that {@link toSubdomainText} returns unchanged: dot-separated labels of `[a-z0-9-]` that start and end
 * alphanumeric. Real pod, namespace and identity names almost always give such text, so checking this first
 * skips the four rewriting passes (a hot spot when naming tens of thousands of assignments per cycle).
 */
const SUBDOMAIN_TEXT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

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

/** The readable prefix: the subdomain text of `text`, cut to fit before the hash, never ending in `-` or `.`. */
function readablePart(text: string): string {
  // Already valid and short enough: every step below would return it unchanged.
  if (text.length <= MAX_READABLE_LENGTH && SUBDOMAIN_TEXT.test(text)) return text;
  return toSubdomainText(text)
    .slice(0, MAX_READABLE_LENGTH)
    .replace(/[-.]+$/, '');
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
  // NUL cannot occur in Kubernetes names, so the joined text identifies the tuple exactly. Each `?? ''` keeps
  // what the first release's Array#join did with null/undefined from untyped callers: names must never change.
  const { podNamespace, podName, identityNamespace, identityName } = parts;
  const tuple = `${podNamespace ?? ''}\u0000${podName ?? ''}\u0000${identityNamespace ?? ''}\u0000${identityName ?? ''}`;
  // One-shot crypto.hash (Node ≥ 20.12) gives the same digest as createHash().update().digest() without building
  // a Hash object per name.
  const digest = hash('sha256', tuple, 'hex').slice(0, HASH_LENGTH);
  const readable = readablePart(`${parts.podName}-${parts.podNamespace}-${parts.identityName}`);
  // Array#join yields one flat string. A template literal would give a chain of rope pieces that keeps the readable
  // text's pieces and the full 64-digit digest alive as long as the name: ~5x the memory per name, which made the
  // garbage collector the largest cost of matching 50k pods.
  return readable === '' ? digest : [readable, digest].join('-');
}

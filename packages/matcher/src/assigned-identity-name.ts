import { createHash } from 'node:crypto';
import type { AssignedIdentityNameParts } from './types.js';

/** Kubernetes' limit for object names (DNS-1123 subdomain). */
const MAX_NAME_LENGTH = 253;
/** 64 bits of SHA-256: a collision needs ~2^32 tuples by chance, 2^64 work to hit a chosen one. */
const HASH_LENGTH = 16;

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
 */
export function assignedIdentityName(parts: AssignedIdentityNameParts): string {
  // NUL cannot occur in Kubernetes names, so the joined text identifies the tuple exactly.
  const tuple = [parts.podNamespace, parts.podName, parts.identityNamespace, parts.identityName].join('\u0000');
  const hash = createHash('sha256').update(tuple).digest('hex').slice(0, HASH_LENGTH);
  const readable = toSubdomainText(`${parts.podName}-${parts.podNamespace}-${parts.identityName}`)
    .slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/[-.]+$/, '');
  return readable === '' ? hash : `${readable}-${hash}`;
}

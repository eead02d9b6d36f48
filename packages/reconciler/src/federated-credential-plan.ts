import { createHash } from 'node:crypto';
import type { AzureIdentity } from '@podid/crd-types';
import { IdentityType, identityTypeOf } from '@podid/crd-types';

/** The audience AAD's token exchange expects in the service-account token (and the credential lists). */
export const FEDERATED_CREDENTIAL_AUDIENCE = 'api://AzureADTokenExchange';
/** Name prefix of the credentials MIC creates; with a matching issuer it is how MIC recognises its own. */
export const PODID_CREDENTIAL_PREFIX = 'podid-';
/** Azure's limit of federated identity credentials on one user-assigned identity. */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

/** A federated identity credential as ARM lists it (only the fields planning needs). */
export interface FederatedCredential {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

/** One pod's use of a federated identity: its namespace and service account (`default` when the spec has none). */
export interface FederatedCredentialUse {
  readonly identity: AzureIdentity;
  readonly podNamespace: string;
  readonly serviceAccountName: string;
}

/** The credentials one user-assigned identity should carry for podid, from every AzureIdentity naming it. */
export interface DesiredIdentityCredentials {
  /** The resourceID as the first AzureIdentity naming it spells it. */
  readonly resourceId: string;
  /** `namespace/name` of every type-3 AzureIdentity with this resourceID, sorted (the first one gets Events). */
  readonly identities: readonly { readonly namespace: string; readonly name: string }[];
  /** Sorted by subject. Empty: podid's credentials on this identity are no longer used. */
  readonly credentials: readonly FederatedCredential[];
}

/**
 * The federated credentials podid wants, keyed by lower-cased resourceID: one per (namespace, service account) that
 * pods bound to a type-3 identity with a resourceID run as. Every type-3 identity with a resourceID gets an entry,
 * in use or not, so credentials podid made for pods that are gone can be found and deleted. Pure.
 */
export function desiredFederatedCredentials(
  identities: readonly AzureIdentity[],
  uses: readonly FederatedCredentialUse[],
  issuerUrl: string,
): Map<string, DesiredIdentityCredentials> {
  const byIdentity = new Map<
    string,
    { resourceId: string; identities: { namespace: string; name: string }[]; subjects: Set<string> }
  >();
  const entryOf = (identity: AzureIdentity) => {
    const resourceId = managedResourceId(identity);
    if (resourceId === undefined) return undefined;
    const key = resourceId.toLowerCase();
    let entry = byIdentity.get(key);
    if (entry === undefined) {
      entry = { resourceId, identities: [], subjects: new Set() };
      byIdentity.set(key, entry);
    }
    return entry;
  };
  for (const identity of identities) {
    const entry = entryOf(identity);
    entry?.identities.push({ namespace: identity.metadata.namespace ?? '', name: identity.metadata.name });
  }
  for (const use of uses) {
    entryOf(use.identity)?.subjects.add(serviceAccountSubject(use.podNamespace, use.serviceAccountName));
  }
  const desired = new Map<string, DesiredIdentityCredentials>();
  for (const [key, entry] of [...byIdentity].sort(([a], [b]) => compare(a, b))) {
    desired.set(key, {
      resourceId: entry.resourceId,
      identities: dedupeRefs(entry.identities),
      credentials: [...entry.subjects].sort(compare).map((subject) => ({
        name: federatedCredentialName(issuerUrl, subject),
        issuer: issuerUrl,
        subject,
        audiences: [FEDERATED_CREDENTIAL_AUDIENCE],
      })),
    });
  }
  return desired;
}

/** `system:serviceaccount:<namespace>:<name>`, the `sub` claim of a service-account token. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

/**
 * podid's deterministic credential name for (issuer, subject): `podid-` and 24 hex digits of their SHA-256. Always
 * valid for Azure (3–120 characters of letters, digits, `-`, `_`, starting with a letter) and stable across restarts.
 */
export function federatedCredentialName(issuer: string, subject: string): string {
  const digest = createHash('sha256').update(issuer).update('\n').update(subject).digest('hex');
  return `${PODID_CREDENTIAL_PREFIX}${digest.slice(0, 24)}`;
}

/** Did podid make this credential (for this issuer)? Only those are ever deleted. */
export function isPodidCredential(credential: FederatedCredential, issuerUrl: string): boolean {
  return credential.name.startsWith(PODID_CREDENTIAL_PREFIX) && credential.issuer === issuerUrl;
}

/** What to do on one user-assigned identity. Deletes first (they make room), then creates, one write at a time. */
export interface IdentityCredentialPlan {
  readonly resourceId: string;
  readonly identities: readonly { readonly namespace: string; readonly name: string }[];
  readonly deletes: readonly FederatedCredential[];
  readonly creates: readonly FederatedCredential[];
  /** Desired credentials left out because the identity would exceed {@link MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}. */
  readonly overflow: readonly FederatedCredential[];
}

export interface FederatedCredentialPlanInput {
  readonly desired: ReadonlyMap<string, DesiredIdentityCredentials>;
  /** The credentials ARM lists, per lower-cased resourceID; an identity missing here is not planned. */
  readonly existing: ReadonlyMap<string, readonly FederatedCredential[]>;
  readonly issuerUrl: string;
}

/**
 * Creates and deletes per identity, so that every desired (issuer, subject) has a credential and podid's own
 * credentials that no pod needs are gone. Credentials podid did not make are never deleted, and count against the
 * limit of 20 like any other: desired credentials beyond it are reported as `overflow` (sorted by subject, so the
 * same ones are left out every time). Only identities with something to do are returned. Pure.
 */
export function planFederatedCredentials(input: FederatedCredentialPlanInput): IdentityCredentialPlan[] {
  const plans: IdentityCredentialPlan[] = [];
  for (const [key, desired] of input.desired) {
    const existing = input.existing.get(key);
    if (existing === undefined) continue;
    const wanted = new Set(desired.credentials.map((c) => pairKey(c.issuer, c.subject)));
    const present = new Set(existing.map((c) => pairKey(c.issuer, c.subject)));
    const deletes = existing.filter(
      (c) => isPodidCredential(c, input.issuerUrl) && !wanted.has(pairKey(c.issuer, c.subject)),
    );
    const missing = desired.credentials.filter((c) => !present.has(pairKey(c.issuer, c.subject)));
    const room = Math.max(0, MAX_FEDERATED_CREDENTIALS_PER_IDENTITY - (existing.length - deletes.length));
    const creates = missing.slice(0, room);
    const overflow = missing.slice(room);
    if (deletes.length === 0 && missing.length === 0) continue;
    plans.push({ resourceId: desired.resourceId, identities: desired.identities, deletes, creates, overflow });
  }
  return plans;
}

/** The resourceID whose credentials MIC manages for this identity: type 3 with a non-empty resourceID only. */
function managedResourceId(identity: AzureIdentity): string | undefined {
  if (identityTypeOf(identity) !== IdentityType.FederatedIdentity) return undefined;
  const resourceId = identity.spec.resourceID;
  return typeof resourceId === 'string' && resourceId !== '' ? resourceId : undefined;
}

function dedupeRefs(refs: { namespace: string; name: string }[]) {
  const seen = new Map<string, { namespace: string; name: string }>();
  for (const ref of refs) seen.set(`${ref.namespace}/${ref.name}`, ref);
  return [...seen].sort(([a], [b]) => compare(a, b)).map(([, ref]) => ref);
}

function pairKey(issuer: string, subject: string): string {
  return `${issuer}\n${subject}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

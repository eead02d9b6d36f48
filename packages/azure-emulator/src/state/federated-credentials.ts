import { normalizeResourceId } from './resource-id.js';

/**
 * Federated identity credentials: which external tokens (issuer + subject + audience) a user-assigned identity or an
 * app registration accepts as its client assertion. Azure's rules are kept: at most 20 per identity, (issuer, subject)
 * unique per identity, names 3–120 characters of letters, digits, `-` and `_` starting with a letter or digit.
 */

export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
const MAX_ISSUER_OR_SUBJECT_LENGTH = 600;

export interface FederatedCredentialRecord {
  /** Full ARM ID for a user-assigned identity's credential; `<tenant>/<clientId>/<name>` for an app's. */
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export type FederatedCredentialProblem =
  | { kind: 'invalidName' }
  | { kind: 'invalidField'; field: 'issuer' | 'subject' | 'audiences'; message: string }
  | { kind: 'duplicate'; existingName: string }
  | { kind: 'limit' };

export type PutResult =
  | { ok: true; created: boolean; record: FederatedCredentialRecord }
  | { ok: false; problem: FederatedCredentialProblem };

/** Credentials grouped by owner key (a normalized identity ID, or `app:<tenant>/<clientId>`), then by lowercase name. */
export class FederatedCredentialStore {
  private readonly byOwner = new Map<string, Map<string, FederatedCredentialRecord>>();

  static identityOwner(identityId: string): string {
    return normalizeResourceId(identityId);
  }

  static appOwner(tenantId: string, clientId: string): string {
    return `app:${tenantId.toLowerCase()}/${clientId.toLowerCase()}`;
  }

  list(owner: string): FederatedCredentialRecord[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])];
  }

  get(owner: string, name: string): FederatedCredentialRecord | undefined {
    return this.byOwner.get(owner)?.get(name.toLowerCase());
  }

  put(
    owner: string,
    id: string,
    name: string,
    fields: { issuer: unknown; subject: unknown; audiences: unknown },
  ): PutResult {
    if (!NAME_PATTERN.test(name)) return { ok: false, problem: { kind: 'invalidName' } };
    const issuer = requireText(fields.issuer, 'issuer');
    if (typeof issuer !== 'string') return { ok: false, problem: issuer };
    const subject = requireText(fields.subject, 'subject');
    if (typeof subject !== 'string') return { ok: false, problem: subject };
    const audiences = fields.audiences;
    if (
      !Array.isArray(audiences) ||
      audiences.length !== 1 ||
      typeof audiences[0] !== 'string' ||
      audiences[0].length === 0
    ) {
      return {
        ok: false,
        problem: { kind: 'invalidField', field: 'audiences', message: 'Exactly one audience is required.' },
      };
    }
    const credentials = this.byOwner.get(owner) ?? new Map<string, FederatedCredentialRecord>();
    const key = name.toLowerCase();
    const existing = credentials.get(key);
    for (const other of credentials.values()) {
      if (other !== existing && other.issuer === issuer && other.subject === subject) {
        return { ok: false, problem: { kind: 'duplicate', existingName: other.name } };
      }
    }
    if (existing === undefined && credentials.size >= MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      return { ok: false, problem: { kind: 'limit' } };
    }
    const record: FederatedCredentialRecord = {
      id: existing?.id ?? id,
      name: existing?.name ?? name,
      issuer,
      subject,
      audiences: [audiences[0]],
    };
    credentials.set(key, record);
    this.byOwner.set(owner, credentials);
    return { ok: true, created: existing === undefined, record };
  }

  delete(owner: string, name: string): boolean {
    const credentials = this.byOwner.get(owner);
    const removed = credentials?.delete(name.toLowerCase()) ?? false;
    if (credentials !== undefined && credentials.size === 0) this.byOwner.delete(owner);
    return removed;
  }

  /** Drops every credential of an owner (its identity was deleted). */
  forget(owner: string): void {
    this.byOwner.delete(owner);
  }
}

function requireText(value: unknown, field: 'issuer' | 'subject'): string | FederatedCredentialProblem {
  if (typeof value !== 'string' || value.length === 0) {
    return { kind: 'invalidField', field, message: `The '${field}' property is required.` };
  }
  if (value.length > MAX_ISSUER_OR_SUBJECT_LENGTH) {
    return {
      kind: 'invalidField',
      field,
      message: `The '${field}' property can be at most ${MAX_ISSUER_OR_SUBJECT_LENGTH} characters long.`,
    };
  }
  if (value.includes('*')) {
    return { kind: 'invalidField', field, message: `Wildcards are not supported in the '${field}' property.` };
  }
  return value;
}

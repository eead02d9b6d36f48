import type { TokenQuery } from '../routing/token-query.js';

/** The token routes' query: upstream's parameters plus the object ID selector podid honours (issue 15 item 1). */
export interface SelectorQuery extends TokenQuery {
  /**
   * `object_id` (msal-node `userAssignedObjectId`, @azure/identity `objectId`, Python azure-identity
   * `identity_config={'object_id': ...}` and msal `UserAssignedManagedIdentity(object_id=...)`), else
   * `principal_id` (the same selector under App Service's name); empty when neither was sent.
   */
  readonly objectId: string;
}

/** Go's `url.QueryUnescape`: `+` is a space, an invalid escape makes the pair unreadable (undefined). */
function unescapeLikeGo(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/**
 * The object ID selector of a raw query, read as Go's `ParseQuery` reads pairs (first occurrence wins; a pair with a
 * `;` or a bad escape is dropped), so a selector NMI cannot read exactly is never half-read into another identity.
 */
export function readObjectId(rawQuery: string): string {
  // No shortcut on the raw text: a percent-encoded key must be read too (the result is memoised per target anyway).
  let objectId: string | undefined;
  let principalId: string | undefined;
  for (const pair of rawQuery.split('&')) {
    if (pair.length === 0 || pair.includes(';')) continue;
    const equals = pair.indexOf('=');
    const key = unescapeLikeGo(equals === -1 ? pair : pair.slice(0, equals));
    if (key !== 'object_id' && key !== 'principal_id') continue;
    const value = equals === -1 ? '' : unescapeLikeGo(pair.slice(equals + 1));
    if (value === undefined) continue;
    if (key === 'object_id') objectId ??= value;
    else principalId ??= value;
  }
  return objectId || principalId || '';
}

/** `parseTokenQuery`'s answer with the object ID added (frozen, as the server memoises and shares it). */
export function withObjectId(query: TokenQuery, rawQuery: string): SelectorQuery {
  return Object.freeze({ ...query, objectId: readObjectId(rawQuery) });
}

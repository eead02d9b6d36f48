/** The query parameters the token routes read (§3.3); everything else (api-version, object_id, ...) is ignored. */
export interface TokenQuery {
  readonly resource: string;
  readonly clientId: string;
  /** `msi_res_id`, or `mi_res_id` when that is empty. */
  readonly resourceId: string;
}

/**
 * Form-urlencoded decoding with URLSearchParams' leniency: `+` is a space, valid `%XX` escapes are bytes (UTF-8),
 * invalid escapes stay as written.
 */
function decodeComponent(text: string): string {
  if (!text.includes('%')) return text.includes('+') ? text.replace(/\+/g, ' ') : text;
  const spaced = text.replace(/\+/g, ' ');
  try {
    // Well-formed escapes (every SDK's query): the built-in decoder gives the same result, much faster.
    return decodeURIComponent(spaced);
  } catch {
    return decodeLeniently(spaced);
  }
}

function decodeLeniently(spaced: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < spaced.length; i++) {
    if (spaced.charCodeAt(i) === 0x25 && /^[0-9a-fA-F]{2}$/.test(spaced.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(spaced.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    // Whole code points, so surrogate pairs become one UTF-8 sequence (a lone surrogate becomes U+FFFD, as in URL).
    const codePoint = spaced.codePointAt(i) ?? 0;
    if (codePoint > 0xffff) i++;
    for (const byte of Buffer.from(String.fromCodePoint(codePoint), 'utf8')) bytes.push(byte);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Reads the four parameters NMI uses, first occurrence wins (as Go's `Query().Get` and URLSearchParams#get).
 * Much cheaper than building a URLSearchParams on every token request.
 */
export function parseTokenQuery(rawQuery: string): TokenQuery {
  let resource: string | undefined;
  let clientId: string | undefined;
  let msiResId: string | undefined;
  let miResId: string | undefined;
  if (rawQuery.length > 0) {
    for (const pair of rawQuery.split('&')) {
      if (pair.length === 0) continue;
      const equals = pair.indexOf('=');
      const key = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
      const value = () => (equals === -1 ? '' : decodeComponent(pair.slice(equals + 1)));
      if (key === 'resource') resource ??= value();
      else if (key === 'client_id') clientId ??= value();
      else if (key === 'msi_res_id') msiResId ??= value();
      else if (key === 'mi_res_id') miResId ??= value();
    }
  }
  // Frozen: the server memoises parsed queries and shares them between requests.
  return Object.freeze({ resource: resource ?? '', clientId: clientId ?? '', resourceId: msiResId || miResId || '' });
}

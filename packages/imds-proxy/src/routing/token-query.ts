/** The query parameters the token routes read (§3.3); everything else (api-version, object_id, ...) is ignored. */
export interface TokenQuery {
  readonly resource: string;
  readonly clientId: string;
  /** `msi_res_id`, or `mi_res_id` when that is empty. */
  readonly resourceId: string;
}

/** A `%` not followed by two hex digits: Go's `QueryUnescape` refuses the whole pair, and so does NMI. */
const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/;

/**
 * Go's `url.QueryUnescape`: `+` is a space, `%XX` escapes are bytes (read as UTF-8; bytes that are not UTF-8 become
 * U+FFFD, as in URL), and any other `%` makes the component invalid (undefined).
 */
function decodeComponent(text: string): string | undefined {
  if (!text.includes('%')) return text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (BAD_ESCAPE.test(text)) return undefined;
  const spaced = text.replace(/\+/g, ' ');
  try {
    // Well-formed UTF-8 escapes (every SDK's query): the built-in decoder gives the same result, much faster.
    return decodeURIComponent(spaced);
  } catch {
    return decodeBytes(spaced);
  }
}

function decodeBytes(spaced: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < spaced.length; i++) {
    if (spaced.charCodeAt(i) === 0x25) {
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
 * Reads the four parameters NMI uses as upstream's Go did (`url.ParseQuery`, then `Get`: first occurrence wins).
 * A pair containing `;` or a malformed `%` escape is dropped whole, as Go drops it, so
 * `resource=https://vault.azure.net;x` is no resource at all (400), never a token for a resource nobody spelt.
 * Much cheaper than building a URLSearchParams on every token request.
 */
export function parseTokenQuery(rawQuery: string): TokenQuery {
  let resource: string | undefined;
  let clientId: string | undefined;
  let msiResId: string | undefined;
  let miResId: string | undefined;
  if (rawQuery.length > 0) {
    for (const pair of rawQuery.split('&')) {
      if (pair.length === 0 || pair.includes(';')) continue;
      const equals = pair.indexOf('=');
      const key = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
      if (key === undefined) continue;
      const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
      if (value === undefined) continue;
      if (key === 'resource') resource ??= value;
      else if (key === 'client_id') clientId ??= value;
      else if (key === 'msi_res_id') msiResId ??= value;
      else if (key === 'mi_res_id') miResId ??= value;
    }
  }
  // Frozen: the server memoises parsed queries and shares them between requests.
  return Object.freeze({ resource: resource ?? '', clientId: clientId ?? '', resourceId: msiResId || miResId || '' });
}

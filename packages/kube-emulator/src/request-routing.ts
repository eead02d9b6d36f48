/**
 * Parses Kubernetes REST paths into a route: discovery document, or resource request with group, version,
 * namespace, plural, name and subresource. `/watch/` legacy paths are accepted.
 */

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'admin'; action: string }
  | { kind: 'openapi'; pathname: string }
  | { kind: 'openapiV2' }
  | {
      kind: 'resource';
      group: string;
      version: string;
      namespace: string | undefined;
      plural: string;
      name: string | undefined;
      subresource: string | undefined;
      legacyWatch: boolean;
    }
  | { kind: 'unknown' };

export const ADMIN_PREFIX = '/__emulator/';

export function parseRoute(pathname: string): Route {
  if (pathname === '/version' || pathname === '/version/') return { kind: 'version' };
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/livez') return { kind: 'health' };
  if (pathname === '/openapi/v2') return { kind: 'openapiV2' };
  if (pathname === '/openapi/v3' || pathname.startsWith('/openapi/v3/')) return { kind: 'openapi', pathname };
  if (pathname.startsWith(ADMIN_PREFIX)) return { kind: 'admin', action: pathname.slice(ADMIN_PREFIX.length) };
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    if (parts.length === 2) return { kind: 'group', group: parts[1]! };
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'resourceList', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return { kind: 'unknown' };
  return {
    kind: 'resource',
    group,
    version,
    namespace,
    plural: rest[0]!,
    name: rest[1],
    subresource: rest[2],
    legacyWatch,
  };
}

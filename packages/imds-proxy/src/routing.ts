// `@podid/imds-proxy/routing`: how NMI reads request targets, without the server, token or Azure libraries, so a
// command line can check `--allowed-metadata-paths` before anything heavy loads.
export {
  isAllowedPath,
  nonCanonicalPathReason,
  parseAllowedPaths,
  parseRequestTarget,
  type CanonicalTarget,
  type ParsedTarget,
  type RefusedTarget,
  type TargetRoute,
} from './routing/request-target.js';

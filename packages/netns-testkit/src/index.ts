// Deciding whether namespace suites can run
export { canUseNetns, type DescribeIfNetnsOptions, describeIfNetns, type NetnsSupport } from './netns-support.js';

// Building and removing namespaces
export {
  createTopology,
  DEFAULT_NAMESPACE_PREFIX,
  type PodEndpoint,
  sweepStaleNamespaces,
  type Topology,
  type TopologyOptions,
} from './topology.js';
export { cleanupEverythingSync } from './cleanup-registry.js';

// Running things inside a namespace
export { type ExecOptions, type ExecResult, execInNamespace, runCommand } from './run-command.js';
export { type NodeProcess, type SpawnNodeOptions, spawnNode } from './node-process.js';
export {
  type EchoReply,
  type EchoServer,
  type HttpSession,
  httpRequestFromNamespace,
  type NamespaceHttpRequest,
  type NamespaceHttpResult,
  openHttpSession,
  startEchoServer,
} from './http-in-namespace.js';

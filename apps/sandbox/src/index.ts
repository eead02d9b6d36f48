// Starting a sandbox
export {
  NETNS_ANNOTATION,
  type Sandbox,
  type SandboxNmi,
  type SandboxPod,
  SandboxTimeoutError,
  startSandbox,
  type WaitOptions,
} from './sandbox.js';
export { SANDBOX_MIC_ARGS, SANDBOX_NMI_ARGS, type SandboxOptions } from './sandbox-options.js';
export {
  type AzureWorld,
  type AzureWorldShape,
  DEFAULT_WORLD_SHAPE,
  type SandboxIdentity,
  type SandboxNode,
} from './azure-world.js';

// Objects and requests
export { EXTERNAL_NETWORK_ANNOTATION } from './fake-kubelet.js';
export type { AzureIdentityInput, PodSpecInput } from './cluster-objects.js';
export { type KubeObject, KubeRequestError, KubeRest } from './kube-rest.js';
export {
  decodeJwtClaims,
  type TokenQuery,
  tokenPath,
  type WorkloadRequest,
  type WorkloadResponse,
  workloadRequest,
} from './workload-request.js';

// Processes
export { type LaunchedComponent, MIC_SCRIPT, NMI_SCRIPT } from './component-launcher.js';
export { freePort, ManagedProcess, SandboxProcessError } from './managed-process.js';

// The demo
export { DEMO_RESOURCE, type DemoResult, runDemo, type WorkloadDemoResult } from './demo-story.js';
export { FEDERATED_DEMO_SERVICE_ACCOUNT, type FederatedDemoSetup, setUpFederatedDemo } from './federated-demo.js';

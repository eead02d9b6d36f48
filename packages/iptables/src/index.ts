// Redirect rules (§4)
export {
  type EnsureRedirectResult,
  ensureRedirect,
  hasPreroutingJump,
  listMetadataChain,
  type RedirectRepair,
  type RemoveRedirectResult,
  removeRedirect,
} from './ensure-redirect.js';
export {
  chainRestoreInput,
  DEFAULT_METADATA_IP,
  DEFAULT_METADATA_PORT,
  DEFAULT_TARGET_IP,
  DEFAULT_TARGET_PORT,
  expectedChainLines,
  METADATA_CHAIN,
  type RedirectOptions,
  type RedirectTarget,
  resolveRedirectTarget,
} from './redirect-options.js';
export {
  DEFAULT_SYNC_INTERVAL_MS,
  intervalTimer,
  type RedirectSync,
  type RedirectSyncOptions,
  type SyncTimer,
  startRedirectSync,
} from './redirect-sync.js';

// Fail closed: the reject rule NMI leaves on exit, and the uninstall of everything
export {
  type CleanupResult,
  cleanupMetadataRules,
  expectedRejectChainLines,
  type InstallRejectResult,
  installReject,
  type MetadataRulesState,
  readMetadataRules,
  REJECT_CHAIN,
  REJECT_HOOKS,
  rejectRuleLine,
} from './reject-rules.js';

// Conntrack (--enable-conntrack-deletion)
export { type FlushConntrackOptions, type FlushConntrackResult, flushConntrack } from './conntrack.js';

// Startup guards
export {
  checkKubenet,
  DEFAULT_KUBELET_CONFIG_PATH,
  KUBENET_NOT_SUPPORTED_MESSAGE,
  type KubenetGuardOptions,
} from './kubenet-guard.js';
export {
  checkRouteLocalnet,
  procSysctl,
  type RouteLocalnetOptions,
  type RouteLocalnetStatus,
  type SysctlAccess,
  sysctlViaRunner,
} from './route-localnet.js';

// Running commands
export {
  type CommandResult,
  type CommandRunner,
  createProcessRunner,
  formatCommandLine,
  type RunOptions,
  runChecked,
  withCommandPrefix,
} from './command-runner.js';
export { IptablesError, type IptablesErrorCode, type IptablesErrorDetails, isIptablesError } from './errors.js';

// Constants
export {
  API_GROUP,
  API_VERSION,
  ASSIGNED_IDENTITY_FINALIZER,
  AssignedIdentityState,
  BEHAVIOR_ANNOTATION_KEY,
  BEHAVIOR_NAMESPACED,
  CRD_KINDS,
  CrdKind,
  type CrdNames,
  crdNames,
  DEFAULT_AD_ENDPOINT,
  GROUP_VERSION,
  IdentityType,
  NODENAME_LABEL_KEY,
  POD_LABEL_KEY,
} from './constants.js';

// Schemas and types
export {
  type ClusterObjectMeta,
  clusterObjectMetaSchema,
  listMetaSchema,
  type ObjectMeta,
  objectMetaSchema,
  type OwnerReference,
  ownerReferenceSchema,
  unusedObjectMetaSchema,
} from './schemas/object-meta.js';
export {
  type AzureIdentity,
  type AzureIdentityList,
  type AzureIdentitySpec,
  type AzureIdentityStatus,
  azureIdentityListSchema,
  azureIdentityRefSchema,
  azureIdentityRefSpecSchema,
  azureIdentitySchema,
  azureIdentitySpecSchema,
  azureIdentityStatusSchema,
  KNOWN_IDENTITY_TYPES,
  type SecretReference,
  secretReferenceSchema,
} from './schemas/azure-identity.js';
export {
  type AzureIdentityBinding,
  type AzureIdentityBindingList,
  type AzureIdentityBindingSpec,
  type AzureIdentityBindingStatus,
  azureIdentityBindingListSchema,
  azureIdentityBindingSchema,
  azureIdentityBindingSpecSchema,
  azureIdentityBindingStatusSchema,
} from './schemas/azure-identity-binding.js';
export {
  type AzureAssignedIdentity,
  type AzureAssignedIdentityList,
  type AzureAssignedIdentitySpec,
  type AzureAssignedIdentityStatus,
  azureAssignedIdentityListSchema,
  azureAssignedIdentitySchema,
  azureAssignedIdentitySpecSchema,
  azureAssignedIdentityStatusSchema,
} from './schemas/azure-assigned-identity.js';
export {
  type AzurePodIdentityException,
  type AzurePodIdentityExceptionList,
  type AzurePodIdentityExceptionSpec,
  type AzurePodIdentityExceptionStatus,
  azurePodIdentityExceptionListSchema,
  azurePodIdentityExceptionSchema,
  azurePodIdentityExceptionSpecSchema,
  azurePodIdentityExceptionStatusSchema,
} from './schemas/azure-pod-identity-exception.js';
export {
  type Node,
  type NodeList,
  type NodeSpec,
  nodeListSchema,
  nodeSchema,
  nodeSpecSchema,
  type Pod,
  type PodList,
  type PodSpec,
  type PodStatus,
  podListSchema,
  podSchema,
  podSpecSchema,
  podStatusSchema,
} from './schemas/core.js';

// Parsing cluster data (never throws) and the legacy-casing upgrade
export {
  type ObjectParseError,
  type ObjectParseErrorCode,
  type ParseResult,
  parseAzureAssignedIdentity,
  parseAzureIdentity,
  parseAzureIdentityBinding,
  parseAzurePodIdentityException,
  parseEach,
  parseNode,
  parsePod,
} from './parse.js';
export { type LegacyUpgradeResult, upgradeLegacyFields } from './legacy-upgrade.js';
export { identityTypeOf, isNamespacedIdentity, podBindingLabel } from './identity-helpers.js';
export { redactClientId } from './redact-client-id.js';
export {
  type IdentityValidation,
  type IdentityValidationCode,
  validateAzureIdentity,
} from './identity-validation.js';
export { REDACTED_TEXT, redactSecretText } from './redact-secret-text.js';

// ARM targets and identity IDs
export {
  type ArmIdentityPatchBody,
  type ArmIdentityState,
  type ArmIdentityType,
  type ArmPatchPlan,
  type ArmTarget,
  type ArmTargetKind,
  armTargetKey,
  armTargetResourceId,
  type IdentityDelta,
  MAX_USER_ASSIGNED_IDENTITIES_PER_REQUEST,
  type PlanArmPatch,
} from './arm.js';
export {
  type InvalidResourceIdError,
  invalidResourceIdMessage,
  type ParseUserAssignedIdentityIdResult,
  parseUserAssignedIdentityId,
  type UserAssignedIdentityIdParts,
} from './resource-id.js';

// CRD manifests
export { customResourceDefinitionFor, customResourceDefinitions } from './manifests/custom-resource-definitions.js';
export { openApiSchemas } from './manifests/openapi-schemas.js';
export type {
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
  OpenApiSchema,
  PrinterColumn,
} from './manifests/types.js';

import {
  type AzureIdentity,
  type AzureIdentityBinding,
  type AzurePodIdentityException,
  CrdKind,
  parseAzureIdentity,
  parseAzureIdentityBinding,
  parseAzurePodIdentityException,
} from '@podid/crd-types';
import { AssignedIdentityClient } from './assigned-identity-client.js';
import { CustomResourceClient, type CustomResourceClientOptions } from './custom-resource-client.js';

/** One typed client per aad-pod-identity kind, sharing a connection and invalid-object hook. */
export interface CrdClients {
  readonly identities: CustomResourceClient<AzureIdentity>;
  readonly bindings: CustomResourceClient<AzureIdentityBinding>;
  readonly assignedIdentities: AssignedIdentityClient;
  readonly exceptions: CustomResourceClient<AzurePodIdentityException>;
}

export function createCrdClients(options: CustomResourceClientOptions): CrdClients {
  return {
    identities: new CustomResourceClient(CrdKind.AzureIdentity, parseAzureIdentity, options),
    bindings: new CustomResourceClient(CrdKind.AzureIdentityBinding, parseAzureIdentityBinding, options),
    assignedIdentities: new AssignedIdentityClient(options),
    exceptions: new CustomResourceClient(CrdKind.AzurePodIdentityException, parseAzurePodIdentityException, options),
  };
}

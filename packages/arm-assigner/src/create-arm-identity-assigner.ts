import { armTokenScope, type CloudEnvironment } from './cloud-environment.js';
import { IdentityAssigner, type IdentityAssignerOptions } from './identity-assigner.js';
import { SdkArmIdentityClient, type SdkArmIdentityClientOptions } from './sdk-arm-identity-client.js';

export type CreateArmIdentityAssignerOptions = Omit<IdentityAssignerOptions, 'client'> &
  Omit<SdkArmIdentityClientOptions, 'resourceManagerEndpointUrl' | 'tokenScope'> & {
    /** The cloud to talk to (from `resolveCloudEnvironment`); gives the ARM endpoint and token scope. */
    readonly environment: CloudEnvironment;
  };

/** The production wiring: an IdentityAssigner over the Azure SDKs for one cloud. */
export function createArmIdentityAssigner(options: CreateArmIdentityAssignerOptions): IdentityAssigner {
  const client = new SdkArmIdentityClient({
    ...options,
    resourceManagerEndpointUrl: options.environment.resourceManagerEndpointUrl,
    tokenScope: armTokenScope(options.environment),
  });
  return new IdentityAssigner({ ...options, client });
}

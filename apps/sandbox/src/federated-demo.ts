/**
 * The federated half of the demo: a type-3 AzureIdentity for a user-assigned identity that trusts the sandbox
 * cluster's service-account issuer (a federated identity credential for `system:serviceaccount:default:<sa>`), a
 * service account and a binding. Its pod's token comes from a token exchange at AAD, not from any VM/VMSS.
 */
import type { Sandbox } from './sandbox.js';

export const FEDERATED_DEMO_SERVICE_ACCOUNT = 'demo-federated';

export interface FederatedDemoSetup {
  identityName: string;
  clientId: string;
  selector: string;
  serviceAccountName: string;
}

export async function setUpFederatedDemo(sandbox: Sandbox): Promise<FederatedDemoSetup> {
  const { emulator, world } = sandbox.azure;
  const app = emulator.admin.createUserAssignedIdentity({
    subscriptionId: world.subscriptionId,
    resourceGroup: world.resourceGroup,
    name: 'federated-app',
  });
  emulator.admin.addFederatedCredential(
    { identityId: app.id },
    {
      name: 'sandbox-demo',
      issuer: sandbox.kube.emulator.serviceAccountIssuer,
      subject: `system:serviceaccount:default:${FEDERATED_DEMO_SERVICE_ACCOUNT}`,
    },
  );
  await sandbox.kube.rest.ensure('serviceaccounts', 'default', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: FEDERATED_DEMO_SERVICE_ACCOUNT, namespace: 'default' },
  });
  await sandbox.createIdentity({
    kind: 'federated',
    name: 'demo-federated-identity',
    tenantId: world.tenantId,
    clientId: app.clientId,
  });
  await sandbox.createBinding({
    name: 'demo-federated-binding',
    identityName: 'demo-federated-identity',
    selector: 'demo-federated',
  });
  return {
    identityName: 'demo-federated-identity',
    clientId: app.clientId,
    selector: 'demo-federated',
    serviceAccountName: FEDERATED_DEMO_SERVICE_ACCOUNT,
  };
}

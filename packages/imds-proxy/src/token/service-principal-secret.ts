import type { AzureIdentity } from '@podid/crd-types';
import { NmiError, describeError } from '../errors.js';
import type { SecretLookup } from '../lookup/lookups.js';
import { type ClientCertificate, parsePfxCertificate } from './pfx-certificate.js';

export type ServicePrincipalCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | { readonly kind: 'certificate'; readonly certificate: ClientCertificate };

async function readSecret(
  identity: AzureIdentity,
  secrets: SecretLookup,
): Promise<Readonly<Record<string, Uint8Array>>> {
  const reference = identity.spec.clientPassword;
  const namespace = reference?.namespace ?? '';
  const name = reference?.name ?? '';
  try {
    return await secrets.secretData(namespace, name);
  } catch (error) {
    throw new NmiError(
      'secret-unreadable',
      `failed to get Kubernetes secret ${namespace}/${name}, err: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Type 1 (Q10 fixed): upstream took whichever value Go's map iteration gave first. Here the choice is fixed:
 * the documented key `clientSecret`, else the only key, else an error naming the keys.
 */
export function chooseClientSecret(data: Readonly<Record<string, Uint8Array>>, secretName: string): string {
  const documented = data['clientSecret'];
  if (documented) return Buffer.from(documented).toString('utf8');
  const keys = Object.keys(data);
  if (keys.length === 1) return Buffer.from(data[keys[0] as string] as Uint8Array).toString('utf8');
  throw new NmiError(
    'secret-invalid',
    keys.length === 0
      ? `secret ${secretName} has no data`
      : `secret ${secretName} has several keys (${keys.sort().join(', ')}) and none is named clientSecret`,
  );
}

export async function readServicePrincipalCredential(
  identity: AzureIdentity,
  secrets: SecretLookup,
): Promise<ServicePrincipalCredential> {
  const data = await readSecret(identity, secrets);
  const secretName = `${identity.spec.clientPassword?.namespace ?? ''}/${identity.spec.clientPassword?.name ?? ''}`;
  if (identity.spec.type === 2) {
    const pfx = data['certificate'];
    if (!pfx) throw new NmiError('secret-invalid', `secret ${secretName} has no key certificate`);
    const password = data['password'] ? Buffer.from(data['password']).toString('utf8') : '';
    return { kind: 'certificate', certificate: parsePfxCertificate(pfx, password) };
  }
  return { kind: 'secret', clientSecret: chooseClientSecret(data, secretName) };
}

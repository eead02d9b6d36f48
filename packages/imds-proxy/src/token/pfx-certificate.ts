import { createHash, createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type forgeTypes from 'node-forge';

/** node-forge costs ~12 MiB of RSS and only certificate service principals need it: loaded on first use. */
const requireLazily = createRequire(import.meta.url);
let forgeModule: typeof forgeTypes | undefined;
const loadForge = (): typeof forgeTypes => {
  forgeModule ??= requireLazily('node-forge') as typeof forgeTypes;
  return forgeModule;
};
import { NmiError, describeError } from '../errors.js';

/** What msal-node's `clientCertificate` needs, taken from a PKCS#12 (PFX) blob. */
export interface ClientCertificate {
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** Hex SHA-256 of the leaf certificate's DER. */
  readonly thumbprintSha256: string;
  /** The leaf certificate as PEM (sent as x5c so AAD can do subject-name/issuer auth). */
  readonly certificatePem: string;
}

/**
 * §1.2 type 2: secret keys `certificate` (PFX bytes) and `password`. The key must be RSA (AAD's client assertion
 * is RS256); the certificate paired with the key is the one whose public key matches.
 */
export function parsePfxCertificate(pfx: Uint8Array, password: string): ClientCertificate {
  const forge = loadForge();
  let p12: forgeTypes.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (error) {
    throw new NmiError('secret-invalid', `failed to decode pkcs12 certificate: ${describeError(error)}`, {
      cause: error,
    });
  }
  const oids = forge.pki.oids as Record<string, string>;
  const bagsOf = (type: string): forgeTypes.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const keyBags = [...bagsOf(oids['pkcs8ShroudedKeyBag'] ?? ''), ...bagsOf(oids['keyBag'] ?? '')];
  const certBags = bagsOf(oids['certBag'] ?? '');
  const privateKey = keyBags.find((bag) => bag.key)?.key as forgeTypes.pki.rsa.PrivateKey | undefined;
  if (!privateKey || typeof (privateKey as { n?: unknown }).n === 'undefined') {
    throw new NmiError('secret-invalid', 'pkcs12 certificate has no RSA private key');
  }
  const certificates = certBags.flatMap((bag) => (bag.cert ? [bag.cert] : []));
  const leaf =
    certificates.find((cert) => {
      const publicKey = cert.publicKey as forgeTypes.pki.rsa.PublicKey;
      return publicKey.n?.equals(privateKey.n) === true;
    }) ?? certificates[0];
  if (!leaf) throw new NmiError('secret-invalid', 'pkcs12 certificate has no certificate');
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(leaf)).getBytes(), 'binary');
  const privateKeyPem = createPrivateKey(forge.pki.privateKeyToPem(privateKey))
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return {
    privateKeyPem,
    thumbprintSha256: createHash('sha256').update(der).digest('hex'),
    certificatePem: forge.pki.certificateToPem(leaf),
  };
}

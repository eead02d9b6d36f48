import { createHash, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
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
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (error) {
    throw new NmiError('secret-invalid', `failed to decode pkcs12 certificate: ${describeError(error)}`, {
      cause: error,
    });
  }
  const oids = forge.pki.oids as Record<string, string>;
  const bagsOf = (type: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const keyBags = [...bagsOf(oids['pkcs8ShroudedKeyBag'] ?? ''), ...bagsOf(oids['keyBag'] ?? '')];
  const certBags = bagsOf(oids['certBag'] ?? '');
  const privateKey = keyBags.find((bag) => bag.key)?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!privateKey || typeof (privateKey as { n?: unknown }).n === 'undefined') {
    throw new NmiError('secret-invalid', 'pkcs12 certificate has no RSA private key');
  }
  const certificates = certBags.flatMap((bag) => (bag.cert ? [bag.cert] : []));
  const leaf =
    certificates.find((cert) => {
      const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
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

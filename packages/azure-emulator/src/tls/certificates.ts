import { constants, createHash, generateKeyPair, privateEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  certificatePem: string;
  privateKeyPem: string;
}

export interface EmulatorTls {
  /** The self-signed CA; hand it to clients (`tlsOptions.ca`, `NODE_EXTRA_CA_CERTS`). */
  ca: CertificateAndKey;
  /** The server certificate (SANs IP:127.0.0.1, IP:::1, DNS:localhost), signed by the CA. */
  server: CertificateAndKey;
}

const generateRsaKeyPair = promisify(generateKeyPair);

interface KeyPair {
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
}

// node:crypto generates RSA keys natively and off the main thread; node-forge only assembles certificates.
async function newKeyPair(): Promise<KeyPair> {
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256; the digest follows it.
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Signs a forge certificate with node:crypto: forge hands its signer the SHA-256 state of the TBSCertificate,
 * and an RSA private-key operation over the DigestInfo is exactly an RSASSA-PKCS1-v1_5 signature. (forge's own
 * pure-JS RSA takes hundreds of milliseconds per signature.)
 */
function signCertificate(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const signer = {
    sign(md: forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      const signature = privateEncrypt(
        { key: signerKeyPem, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]),
      );
      return signature.toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function baseCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial: a leading 0x00..0x7f byte keeps the DER integer non-negative.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  return cert;
}

/** Generates a fresh CA and a server certificate for loopback use. */
export async function generateEmulatorTls(commonName = 'podid azure-emulator'): Promise<EmulatorTls> {
  const [caKeys, serverKeys] = await Promise.all([newKeyPair(), newKeyPair()]);
  const caCert = baseCertificate(caKeys.publicKey, 365);
  const caSubject = [{ name: 'commonName', value: `${commonName} CA` }];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(caCert, caKeys.pem);

  const serverCert = baseCertificate(serverKeys.publicKey, 365);
  serverCert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  serverCert.setIssuer(caSubject);
  serverCert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  signCertificate(serverCert, caKeys.pem);

  return {
    ca: { certificatePem: forge.pki.certificateToPem(caCert), privateKeyPem: caKeys.pem },
    server: { certificatePem: forge.pki.certificateToPem(serverCert), privateKeyPem: serverKeys.pem },
  };
}

/** A client certificate for a service principal, with the thumbprints msal-node and AAD use. */
export interface ClientCertificate extends CertificateAndKey {
  /** Hex SHA-1 of the DER certificate (msal-node `clientCertificate.thumbprint`). */
  thumbprintSha1: string;
  /** Hex SHA-256 of the DER certificate (msal-node `clientCertificate.thumbprintSha256`). */
  thumbprintSha256: string;
}

export function certificateThumbprints(certificatePem: string): { sha1: Buffer; sha256: Buffer } {
  const der = new X509Certificate(certificatePem).raw;
  return {
    sha1: createHash('sha1').update(der).digest(),
    sha256: createHash('sha256').update(der).digest(),
  };
}

/** Generates a self-signed client certificate (what `az ad sp create-for-rbac --create-cert` would give). */
export async function generateClientCertificate(commonName = 'podid-emulated-sp'): Promise<ClientCertificate> {
  const keys = await newKeyPair();
  const cert = baseCertificate(keys.publicKey, 365);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'keyUsage', digitalSignature: true, critical: true }]);
  signCertificate(cert, keys.pem);
  const certificatePem = forge.pki.certificateToPem(cert);
  const { sha1, sha256 } = certificateThumbprints(certificatePem);
  return {
    certificatePem,
    privateKeyPem: keys.pem,
    thumbprintSha1: sha1.toString('hex').toUpperCase(),
    thumbprintSha256: sha256.toString('hex').toUpperCase(),
  };
}

/**
 * Packs a certificate and key as PKCS#12 (base64), the format aad-pod-identity's type-2 identities keep in a
 * Kubernetes secret (`certificate` + `password` keys).
 */
export function toPkcs12Base64(certificate: CertificateAndKey, password: string): string {
  const key = forge.pki.privateKeyFromPem(certificate.privateKeyPem);
  const cert = forge.pki.certificateFromPem(certificate.certificatePem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: '3des' });
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}

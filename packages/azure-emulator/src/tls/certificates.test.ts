import { X509Certificate } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import forge from 'node-forge';
import { generateClientCertificate, generateEmulatorTls, toPkcs12Base64 } from './certificates.js';

describe('certificates', () => {
  test('the server certificate is issued by the CA for 127.0.0.1, ::1 and localhost', async () => {
    const tls = await generateEmulatorTls();
    const ca = new X509Certificate(tls.ca.certificatePem);
    const server = new X509Certificate(tls.server.certificatePem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
    expect(
      server.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(tls.server.privateKeyPem))),
    ).toBe(true);
  });

  test('a client certificate carries its thumbprints and round-trips through PKCS#12', async () => {
    const cert = await generateClientCertificate('sp');
    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.fingerprint.replace(/:/g, '')).toBe(cert.thumbprintSha1);
    expect(x509.fingerprint256.replace(/:/g, '')).toBe(cert.thumbprintSha256);
    expect(x509.verify(x509.publicKey)).toBe(true);

    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.decode64(toPkcs12Base64(cert, 'pa55'))),
      'pa55',
    );
    const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]!;
    expect(forge.pki.certificateToPem(bags[0]!.cert!)).toBe(cert.certificatePem);
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(toPkcs12Base64(cert, 'pa55'))), 'wrong'),
    ).toThrow();
  });
});

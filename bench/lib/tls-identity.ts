import {
  EC_SIGN,
  generateEcKeyPair,
  privateKeyToPem,
  randomSerial,
  x509,
} from "../../src/capture/tls/x509.js";

/**
 * A throwaway CA and server certificate for local TLS peers: the stand-in for
 * api.anthropic.com in tests and the upstream in bench:proxy.
 */
export interface TlsIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A throwaway CA and a server certificate for `names` (DNS names and IPs). */
export async function createTestServerIdentity(names: string[], caName = "test CA"): Promise<TlsIdentity> {
  const caKeys = await generateEcKeyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${caName}`,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys: caKeys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const keys = await generateEcKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names[0]}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (/^[\d.]+$/.test(n) ? { type: "ip", value: n } : { type: "dns", value: n })),
      ),
    ],
  });
  return {
    caPem: ca.toString("pem"),
    certPem: cert.toString("pem"),
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

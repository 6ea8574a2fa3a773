import type { webcrypto } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import type { CertificateAuthority } from "./ca.js";
import { EC_SIGN, generateEcKeyPair, privateKeyToPem, randomSerial, x509 } from "./x509.js";

/**
 * Leaf certificates for intercepted hosts, signed by the project CA, cached
 * per host and renewed before they expire. One EC P-256 key serves every
 * leaf of this process (generating it takes well under a millisecond, but
 * there is no reason to do it per host).
 */

const DAY = 86_400_000;
export const LEAF_VALIDITY_DAYS = 30;
/** A cached leaf is replaced when it has less than this left. */
export const LEAF_RENEW_BEFORE_MS = 2 * DAY;

export interface LeafCertificate {
  host: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
  secureContext: SecureContext;
}

export interface LeafCertCache {
  /** The leaf for `host` (cached; issued or renewed when needed). */
  get(host: string): Promise<LeafCertificate>;
  size(): number;
}

export function createLeafCertCache(ca: CertificateAuthority, now: () => number = Date.now): LeafCertCache {
  const cache = new Map<string, LeafCertificate>();
  const pending = new Map<string, Promise<LeafCertificate>>();
  let keys: Promise<{ pair: webcrypto.CryptoKeyPair; pem: string }> | undefined;

  const leafKeys = () => {
    keys ??= generateEcKeyPair().then(async (pair) => ({
      pair,
      pem: await privateKeyToPem(pair.privateKey),
    }));
    return keys;
  };

  async function issue(host: string): Promise<LeafCertificate> {
    const { pair, pem } = await leafKeys();
    const t = now();
    const notAfter = new Date(Math.min(t + LEAF_VALIDITY_DAYS * DAY, ca.cert.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${host}`,
      issuer: ca.cert.subjectName,
      notBefore: new Date(t - 3_600_000),
      notAfter,
      publicKey: pair.publicKey,
      signingKey: ca.privateKey,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "dns", value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
        await x509.SubjectKeyIdentifierExtension.create(pair.publicKey),
      ],
    });
    const certPem = cert.toString("pem");
    const chain = `${certPem}\n${ca.certPem}\n`;
    return {
      host,
      certPem,
      keyPem: pem,
      notAfter,
      secureContext: createSecureContext({ cert: chain, key: pem, minVersion: "TLSv1.2" }),
    };
  }

  return {
    async get(rawHost: string): Promise<LeafCertificate> {
      const host = rawHost.toLowerCase();
      const hit = cache.get(host);
      if (hit && hit.notAfter.getTime() - now() > LEAF_RENEW_BEFORE_MS) return hit;
      const inflight = pending.get(host);
      if (inflight) return inflight;
      const p = issue(host)
        .then((leaf) => {
          cache.set(host, leaf);
          return leaf;
        })
        .finally(() => pending.delete(host));
      pending.set(host, p);
      return p;
    },
    size: () => cache.size,
  };
}

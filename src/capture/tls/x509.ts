import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";

/**
 * Thin helpers around @peculiar/x509 shared by the CA and the leaf
 * certificates: EC P-256 keys through WebCrypto, PEM encoding, the
 * Name Constraints extension (which the library has no class for), serials.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const EC_KEY: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
export const EC_SIGN: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
export const NAME_CONSTRAINTS_OID = "2.5.29.30";

export async function generateEcKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

export async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

export async function privateKeyFromPem(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return (await webcrypto.subtle.importKey("pkcs8", der, EC_KEY, true, ["sign"])) as webcrypto.CryptoKey;
}

/** A random positive 128-bit serial number, hex. */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return Buffer.from(bytes).toString("hex");
}

/**
 * Critical Name Constraints: only the given DNS names (and their subdomains)
 * are permitted, and every IP address is excluded, so that a stolen CA key
 * cannot impersonate any other site.
 */
export function nameConstraintsExtension(hosts: readonly string[]): x509.Extension {
  const permitted = new GeneralSubtrees(
    hosts.map((h) => new GeneralSubtree({ base: new GeneralName({ dNSName: h }) })),
  );
  const excluded = new GeneralSubtrees([
    new GeneralSubtree({ base: new GeneralName({ iPAddress: "0.0.0.0/0" }) }),
    new GeneralSubtree({ base: new GeneralName({ iPAddress: "::/0" }) }),
  ]);
  const value = AsnConvert.serialize(
    new NameConstraints({ permittedSubtrees: permitted, excludedSubtrees: excluded }),
  );
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, value);
}

/** The permitted DNS names of a certificate's Name Constraints (empty when it has none). */
export function permittedDnsNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(NAME_CONSTRAINTS_OID);
  if (!ext) return [];
  const nc = AsnConvert.parse(ext.value, NameConstraints);
  return (nc.permittedSubtrees ?? []).map((s) => s.base.dNSName).filter((d): d is string => !!d);
}

/** True when `host` is one of `names` or a subdomain of one (RFC 5280 dNSName subtree rule). */
export function hostWithin(host: string, names: readonly string[]): boolean {
  const h = host.toLowerCase();
  return names.some((n) => {
    const c = n.toLowerCase().replace(/^\./, "");
    return h === c || h.endsWith(`.${c}`);
  });
}

import type { webcrypto } from "node:crypto";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, MemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { writeFileAtomic } from "../../files/atomic-write.js";
import {
  EC_SIGN,
  generateEcKeyPair,
  hostWithin,
  nameConstraintsExtension,
  permittedDnsNames,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerial,
  x509,
} from "./x509.js";

/**
 * The project's certificate authority: an EC P-256 key and a self-signed
 * certificate limited by Name Constraints to the intercepted hosts. Created on
 * first start in `<dataDir>/ca/` (directory 0700, key 0600). The key is never
 * logged.
 */

export const CA_VALIDITY_DAYS = 825;
/** `doctor` warns, and `start` refuses, when the CA expires within this many days. */
export const CA_EXPIRY_WARN_DAYS = 30;
const DAY = 86_400_000;

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export interface CertificateAuthority {
  paths: CaPaths;
  certPem: string;
  cert: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

export interface CaDescription {
  path: string;
  keyPath: string;
  subject: string;
  fingerprintSha256: string;
  /** SHA-1 thumbprint, hex without colons (how macOS `security` and Windows `certutil` name it). */
  thumbprintSha1: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  permittedHosts: string[];
}

export function caPaths(dataDir: string): CaPaths {
  const dir = join(dataDir, "ca");
  return { dir, cert: join(dir, "ca.pem"), key: join(dir, "ca-key.pem") };
}

async function generate(paths: CaPaths, hosts: readonly string[]): Promise<CertificateAuthority> {
  const keys = await generateEcKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=mcp-mitm-mem0 local CA, O=mcp-mitm-mem0, OU=${hosts.join(" ").slice(0, 60)}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY),
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      nameConstraintsExtension(hosts),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  const certPem = cert.toString("pem");
  // Key first: a certificate without its key would be useless.
  writeFileAtomic(paths.key, await privateKeyToPem(keys.privateKey), 0o600);
  writeFileAtomic(paths.cert, `${certPem}\n`, 0o644);
  return { paths, certPem, cert, privateKey: keys.privateKey };
}

async function load(paths: CaPaths): Promise<CertificateAuthority> {
  try {
    const certPem = readFileSync(paths.cert, "utf8").trim();
    const cert = new x509.X509Certificate(certPem);
    const privateKey = await privateKeyFromPem(readFileSync(paths.key, "utf8"));
    return { paths, certPem, cert, privateKey };
  } catch (e) {
    throw new ConfigError(
      `the CA in ${paths.dir} cannot be read (${e instanceof Error ? e.name : "error"}): run \`mcp-mitm-mem0 ca rotate\` to create a new one`,
    );
  }
}

/** Tightens permissions that are too open (a key readable by others is a leak waiting to happen). */
function tightenPermissions(paths: CaPaths, logger: Logger): void {
  if (process.platform === "win32") return;
  if ((statSync(paths.dir).mode & 0o077) !== 0) {
    chmodSync(paths.dir, 0o700);
    logger.warn("CA directory permissions were too open; set to 0700", { path: paths.dir });
  }
  if ((statSync(paths.key).mode & 0o077) !== 0) {
    chmodSync(paths.key, 0o600);
    logger.warn("CA key permissions were too open; set to 0600", { path: paths.key });
  }
}

/**
 * Loads the CA, creating it on first use. Refuses (with the command to run)
 * when it has expired or does not cover every intercepted host.
 */
export async function loadOrCreateCa(
  dataDir: string,
  interceptHosts: readonly string[],
  logger: Logger,
): Promise<CertificateAuthority> {
  const paths = caPaths(dataDir);
  if (!existsSync(paths.cert) || !existsSync(paths.key)) {
    const ca = await generate(paths, interceptHosts);
    logger.info("created the capture CA", {
      path: paths.cert,
      fingerprint: fingerprintSha256(ca.cert),
      hosts: interceptHosts,
    });
    return ca;
  }
  const ca = await load(paths);
  tightenPermissions(paths, logger);
  if (ca.cert.notAfter.getTime() <= Date.now()) {
    throw new ConfigError(`the CA at ${paths.cert} has expired: run \`mcp-mitm-mem0 ca rotate\``);
  }
  const permitted = permittedDnsNames(ca.cert);
  const uncovered = interceptHosts.filter((h) => !hostWithin(h, permitted));
  if (uncovered.length > 0) {
    throw new ConfigError(
      `the CA at ${paths.cert} is limited to ${permitted.join(", ")}, but INTERCEPT_HOSTS also names ${uncovered.join(", ")}: run \`mcp-mitm-mem0 ca rotate\` and trust the new CA`,
    );
  }
  return ca;
}

/** Replaces the CA with a new one (new key, new constraints). Old leaf certificates stop being trusted. */
export async function rotateCa(
  dataDir: string,
  interceptHosts: readonly string[],
): Promise<CertificateAuthority> {
  if (interceptHosts.length === 0) throw new MemoryError("INVALID_INPUT", "no host to intercept");
  return generate(caPaths(dataDir), interceptHosts);
}

/** Reads the CA certificate only (no key), or null when there is none. */
export function readCaCertificate(dataDir: string): x509.X509Certificate | null {
  const paths = caPaths(dataDir);
  if (!existsSync(paths.cert)) return null;
  try {
    return new x509.X509Certificate(readFileSync(paths.cert, "utf8").trim());
  } catch {
    return null;
  }
}

export function fingerprintSha256(cert: x509.X509Certificate): string {
  const digest = createHash("sha256").update(new Uint8Array(cert.rawData)).digest("hex").toUpperCase();
  return digest.replace(/(..)(?!$)/g, "$1:");
}

export function describeCa(dataDir: string): CaDescription | null {
  const cert = readCaCertificate(dataDir);
  if (!cert) return null;
  const paths = caPaths(dataDir);
  return {
    path: paths.cert,
    keyPath: paths.key,
    subject: cert.subject,
    fingerprintSha256: fingerprintSha256(cert),
    thumbprintSha1: createHash("sha1").update(new Uint8Array(cert.rawData)).digest("hex").toUpperCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: Math.floor((cert.notAfter.getTime() - Date.now()) / DAY),
    permittedHosts: permittedDnsNames(cert),
  };
}

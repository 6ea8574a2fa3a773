/**
 * A CA bundle for NODE_EXTRA_CA_CERTS that keeps what the person already
 * trusts: Node reads one file from that variable, so pointing it at the
 * proxy's CA alone would drop a corporate bundle it pointed at before. The
 * combined bundle is the other file's certificates followed by the proxy's CA.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MemoryError } from "../../core/errors.js";
import { writeFileAtomic } from "../../files/atomic-write.js";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** The base64 bodies of the certificates in a PEM text, whitespace removed. */
function certificateBodies(pem: string): string[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => (m[1] ?? "").replace(/\s+/g, ""));
}

/** Whether the PEM file at `bundlePath` holds the certificate at `caPath` (false if either cannot be read). */
export function bundleContains(bundlePath: string, caPath: string): boolean {
  try {
    const [ca] = certificateBodies(readFileSync(caPath, "utf8"));
    return ca !== undefined && certificateBodies(readFileSync(bundlePath, "utf8")).includes(ca);
  } catch {
    return false;
  }
}

/** Where the combined bundle is written: beside the CA. */
export function bundlePath(caDir: string): string {
  return join(caDir, "bundle.pem");
}

/**
 * Writes `<ca dir>/bundle.pem`: every certificate of `otherBundle`, then the
 * proxy's CA (once, even if the other bundle already had it). Returns its path.
 */
export function writeCombinedBundle(caDir: string, caPath: string, otherBundle: string): string {
  let other: string;
  try {
    other = readFileSync(otherBundle, "utf8");
  } catch (e) {
    throw new MemoryError(
      "INVALID_INPUT",
      `cannot read the bundle ${otherBundle} (${(e as NodeJS.ErrnoException).code ?? "error"}); expected a PEM file of CA certificates, such as the one NODE_EXTRA_CA_CERTS points at`,
    );
  }
  const blocks = [...other.matchAll(PEM_BLOCK)].map((m) => m[0]);
  if (blocks.length === 0) {
    throw new MemoryError(
      "INVALID_INPUT",
      `${otherBundle} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  const ca = readFileSync(caPath, "utf8").trim();
  const [caBody] = certificateBodies(ca);
  const kept = blocks.filter((b) => certificateBodies(b)[0] !== caBody);
  const path = bundlePath(caDir);
  writeFileAtomic(path, `${[...kept, ca].join("\n")}\n`, 0o644);
  return path;
}

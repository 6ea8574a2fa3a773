import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type Server, type TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { caPaths, describeCa, loadOrCreateCa, rotateCa } from "../../../src/capture/tls/ca.js";
import {
  createLeafCertCache,
  LEAF_RENEW_BEFORE_MS,
  LEAF_VALIDITY_DAYS,
} from "../../../src/capture/tls/leaf-certs.js";
import { silentLogger } from "../../../src/core/logger.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-ca-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Serves `cert`/`key` on loopback and completes a TLS handshake with `ca` trusted and `servername`. */
async function handshake(
  cert: string,
  key: string,
  ca: string,
  servername: string,
): Promise<{ ok: true; peer: string } | { ok: false; error: string }> {
  const server: Server = createServer({ cert, key }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise((resolve) => {
      const sock: TLSSocket = connect({ host: "127.0.0.1", port, ca, servername }, () => {
        resolve({ ok: true, peer: String(sock.getPeerCertificate().subject.CN ?? "") });
        sock.end();
      });
      sock.on("error", (e: NodeJS.ErrnoException) =>
        resolve({ ok: false, error: `${e.code ?? ""} ${e.message}` }),
      );
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe("capture CA", () => {
  it("is created on first use with private permissions and name constraints", async () => {
    const ca = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    const p = caPaths(dir);
    expect(ca.paths).toEqual(p);
    if (process.platform !== "win32") {
      expect(statSync(p.dir).mode & 0o777).toBe(0o700);
      expect(statSync(p.key).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(p.cert, "utf8")).toContain("BEGIN CERTIFICATE");
    expect(readFileSync(p.key, "utf8")).toContain("BEGIN PRIVATE KEY");
    const d = describeCa(dir);
    expect(d?.permittedHosts).toEqual(["api.anthropic.com"]);
    expect(d?.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(d?.daysLeft).toBeGreaterThan(365);

    // A second load returns the same CA.
    const again = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    expect(again.certPem).toBe(ca.certPem);
  });

  it("issues leaves that Node accepts for an intercepted host", async () => {
    const ca = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    const leaves = createLeafCertCache(ca);
    const leaf = await leaves.get("api.anthropic.com");
    const r = await handshake(`${leaf.certPem}\n${ca.certPem}`, leaf.keyPem, ca.certPem, "api.anthropic.com");
    expect(r).toEqual({ ok: true, peer: "api.anthropic.com" });
    // Cached: the same object comes back.
    expect(await leaves.get("API.anthropic.com")).toBe(leaf);
    expect(leaves.size()).toBe(1);
  });

  it("cannot be used to impersonate a host outside its name constraints", async () => {
    const ca = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    // Sign a leaf for another host with the CA key anyway (what a thief could do).
    const evil = await createLeafCertCache(ca).get("example.com");
    const r = await handshake(`${evil.certPem}\n${ca.certPem}`, evil.keyPem, ca.certPem, "example.com");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/permitted subtree violation/i);
  });

  it("renews a leaf before it expires", async () => {
    const ca = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    let clock = Date.now();
    const leaves = createLeafCertCache(ca, () => clock);
    const first = await leaves.get("api.anthropic.com");
    clock += LEAF_VALIDITY_DAYS * 86_400_000 - LEAF_RENEW_BEFORE_MS - 60_000;
    expect(await leaves.get("api.anthropic.com")).toBe(first);
    clock += 120_000;
    const renewed = await leaves.get("api.anthropic.com");
    expect(renewed).not.toBe(first);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
  });

  it("refuses hosts its constraints do not cover, and rotate replaces it", async () => {
    const first = await loadOrCreateCa(dir, ["api.anthropic.com"], silentLogger);
    await expect(loadOrCreateCa(dir, ["api.anthropic.com", "gw.example.com"], silentLogger)).rejects.toThrow(
      /ca rotate/,
    );
    const rotated = await rotateCa(dir, ["api.anthropic.com", "gw.example.com"]);
    expect(rotated.certPem).not.toBe(first.certPem);
    expect(describeCa(dir)?.permittedHosts).toEqual(["api.anthropic.com", "gw.example.com"]);
    const loaded = await loadOrCreateCa(dir, ["gw.example.com"], silentLogger);
    expect(loaded.certPem).toBe(rotated.certPem);
  });
});

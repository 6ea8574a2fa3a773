import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkShellRouting } from "../../../src/cli/doctor/doctor-checks.js";
import { type AnthropicStub, startAnthropicStub } from "../../support/anthropic-stub.js";
import { runCapture } from "../support/cli-process.js";

let stub: AnthropicStub;
let dir: string;
beforeAll(async () => {
  stub = await startAnthropicStub();
  dir = mkdtempSync(join(tmpdir(), "mmm-bundle-"));
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

const certs = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;

describe("NODE_EXTRA_CA_CERTS pointing at another bundle", () => {
  it("doctor offers a combined bundle instead of replacing it, and accepts the combined one", async () => {
    const ca = (await runCapture(["--data-dir", dir, "ca", "path"])).stdout.trim();
    // The stand-in upstream's test CA plays the corporate bundle the variable already points at.
    const corporate = stub.caFile;
    const url = "http://127.0.0.1:8080";
    const [before] = checkShellRouting({ HTTPS_PROXY: url, NODE_EXTRA_CA_CERTS: corporate }, url, ca);
    expect(before).toMatchObject({
      ok: false,
      fix: `export NODE_EXTRA_CA_CERTS="$(mcp-mitm-mem0 ca bundle --with ${corporate})"`,
    });
    expect(before?.detail).toContain("keep it");

    const made = await runCapture(["--data-dir", dir, "ca", "bundle", "--with", corporate]);
    expect(made.code).toBe(0);
    const bundle = made.stdout.trim();
    expect(bundle).toBe(join(dir, "ca", "bundle.pem"));
    const text = readFileSync(bundle, "utf8");
    expect(certs(text)).toBe(certs(readFileSync(corporate, "utf8")) + 1);
    expect(text).toContain(readFileSync(ca, "utf8").trim());
    expect(checkShellRouting({ HTTPS_PROXY: url, NODE_EXTRA_CA_CERTS: bundle }, url, ca)[0]).toMatchObject({
      ok: true,
    });
    // Made again from itself, it does not grow.
    await runCapture(["--data-dir", dir, "ca", "bundle", "--with", bundle]);
    expect(certs(readFileSync(bundle, "utf8"))).toBe(certs(text));

    const missing = await runCapture(["--data-dir", dir, "ca", "bundle", "--with", "/nonexistent.pem"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the bundle /nonexistent.pem (ENOENT)");
  });
});

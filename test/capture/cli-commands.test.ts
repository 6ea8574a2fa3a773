import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkShellRouting, checkStore } from "../../src/cli/doctor/doctor-checks.js";
import { validateConfig } from "../../src/core/config.js";
import { silentLogger } from "../../src/core/logger.js";
import { openStore } from "../../src/store/open-store.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { Mem0Stub } from "../support/mem0-stub.js";
import { runCapture, spawnStart } from "./support/cli-process.js";

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  stub = await startAnthropicStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-cli-"));
  env = { UPSTREAM_URL: stub.url, UPSTREAM_CA_FILE: stub.caFile, LOG_LEVEL: "warn" };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ca", () => {
  it("path creates the CA; show, rotate and the hints describe it", async () => {
    const path = await runCapture(["--data-dir", dir, "ca", "path"], env);
    expect(path.code).toBe(0);
    expect(path.stdout.trim()).toBe(join(dir, "ca", "ca.pem"));
    expect(statSync(join(dir, "ca", "ca-key.pem")).mode & 0o777).toBe(0o600);

    const show = JSON.parse((await runCapture(["--data-dir", dir, "ca", "show", "--json"], env)).stdout);
    expect(show).toMatchObject({ path: join(dir, "ca", "ca.pem"), permittedHosts: ["api.anthropic.com"] });
    const text = (await runCapture(["--data-dir", dir, "ca", "show"], env)).stdout;
    expect(text).toContain(show.fingerprintSha256);
    expect(text).not.toContain("PRIVATE KEY");

    const hints = (await runCapture(["--data-dir", dir, "ca", "uninstall-hints"], env)).stdout;
    expect(hints).toContain("unset NODE_EXTRA_CA_CERTS");
    expect(hints).toContain("sudo update-ca-certificates --fresh");
    expect(hints).toContain(`security delete-certificate -Z ${show.thumbprintSha1}`);
    expect(hints).toContain(`certutil -user -delstore Root ${show.thumbprintSha1}`);
    const install = (await runCapture(["--data-dir", dir, "ca", "install-hints"], env)).stdout;
    expect(install).toContain(`export NODE_EXTRA_CA_CERTS=${join(dir, "ca", "ca.pem")}`);
    expect(install).toContain("/etc/pki/ca-trust/source/anchors/");

    const rotated = await runCapture(["--data-dir", dir, "ca", "rotate", "--json"], {
      ...env,
      INTERCEPT_HOSTS: "api.anthropic.com,gateway.example.com",
    });
    expect(rotated.code).toBe(0);
    const after = JSON.parse(rotated.stdout);
    expect(after.fingerprintSha256).not.toBe(show.fingerprintSha256);
    expect(after.permittedHosts).toEqual(["api.anthropic.com", "gateway.example.com"]);
  });

  it("show fails with what to run when there is no CA", async () => {
    const r = await runCapture(["--data-dir", dir, "ca", "show"], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("mcp-mitm-mem0 ca path");
  });
});

describe("start, status and doctor", () => {
  it("prints the environment lines once, reports status, and shuts down cleanly on SIGTERM", async () => {
    expect(JSON.parse((await runCapture(["--data-dir", dir, "status", "--json"], env)).stdout)).toMatchObject(
      {
        running: false,
        answering: false,
      },
    );
    const proxy = await spawnStart(dir, env);
    try {
      const out = proxy.stdout();
      expect(out).toContain(`export HTTPS_PROXY=${proxy.url}`);
      expect(out).toContain(`export NODE_EXTRA_CA_CERTS=${join(dir, "ca", "ca.pem")}`);
      expect(out).toContain(`export ANTHROPIC_BASE_URL=${proxy.url}`);
      expect(out).toContain("export NO_PROXY=127.0.0.1,localhost");
      expect(out.match(/ANTHROPIC_BASE_URL/g)).toHaveLength(1);

      const status = await runCapture(["--data-dir", dir, "status", "--json"], env);
      expect(JSON.parse(status.stdout)).toMatchObject({
        running: true,
        answering: true,
        pid: proxy.child.pid,
      });
      expect((await runCapture(["--data-dir", dir, "status"], env)).stdout).toMatch(/running \(pid \d+\)/);

      // doctor from a shell routed through the proxy, with a private .env in the working directory.
      writeFileSync(join(dir, ".env"), "DEFAULT_USER_ID=me\n", { mode: 0o600 });
      const routed = { ...env, ANTHROPIC_BASE_URL: proxy.url };
      const good = await runCapture(["--data-dir", dir, "doctor", "--json"], routed, dir);
      const report = JSON.parse(good.stdout);
      expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
      expect(good.code).toBe(0);
      expect(report.checks.map((c: { name: string }) => c.name)).toEqual(
        expect.arrayContaining(["ca", "ca key", ".env", "proxy", "shell", "store"]),
      );
      const storeCheck = report.checks.find((c: { name: string }) => c.name === "store");
      expect(JSON.stringify(storeCheck)).toContain("sqlite: opens and answers (0 memories of me)");

      // ...and from one that is not routed, with a world-readable .env: fails, saying what to run.
      chmodSync(join(dir, ".env"), 0o644);
      const bad = await runCapture(["--data-dir", dir, "doctor"], env, dir);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toContain(`→ run: chmod 600 ${join(dir, ".env")}`);
      expect(bad.stdout).toContain(`→ run: export ANTHROPIC_BASE_URL=${proxy.url}`);
    } finally {
      proxy.child.kill("SIGTERM");
    }
    expect(await proxy.exited).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "proxy-status.json"), "utf8")).running).toBe(false);
    const after = await runCapture(["--data-dir", dir, "doctor", "--json"], env, dir);
    expect(after.code).not.toBe(0);
    const proxyCheck = JSON.parse(after.stdout).checks.find((c: { name: string }) => c.name === "proxy");
    expect(proxyCheck).toMatchObject({ ok: false, fix: "mcp-mitm-mem0 start" });
  });
});

describe("start with the Mem0 backend", () => {
  it("refuses a rejected key before listening, and starts while Mem0 is unreachable", async () => {
    const key = "m0-start-key-0123456789";
    const mem0 = await Mem0Stub.start({ apiKey: key });
    try {
      const wrong = "m0-wrong-start-key-000";
      const refused = await runCapture(["--data-dir", dir, "start", "--port", "0"], {
        ...env,
        MEM0_API_KEY: wrong,
        MEM0_BASE_URL: mem0.url,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("MEM0_API_KEY was rejected");
      expect(refused.stdout).not.toContain("listening");
      expect(`${refused.stdout}${refused.stderr}`).not.toContain(wrong);
      expect(mem0.served("GET", "/v1/ping/").map((r) => r.status)).toEqual([401]);
    } finally {
      await mem0.close();
    }
    const proxy = await spawnStart(dir, { ...env, MEM0_API_KEY: key, MEM0_BASE_URL: "http://127.0.0.1:9" });
    proxy.child.kill("SIGTERM");
    expect(await proxy.exited).toBe(0);
    expect(proxy.stderr()).toContain("Mem0 does not answer");
    expect(proxy.stderr()).not.toContain(key);
  });
});

describe("doctor checks", () => {
  it("checks the store through its health check: pings Mem0 with the key and never shows it", async () => {
    const key = "m0-secret-key-0123456789";
    const mem0 = await Mem0Stub.start({ apiKey: key });
    const check = (env: Record<string, string>) => {
      const config = validateConfig({ MEMORY_DATA_DIR: dir, ...env }, dir);
      return checkStore(() => openStore(config, silentLogger), "u");
    };
    try {
      const ok = await check({ MEM0_API_KEY: key, MEM0_BASE_URL: mem0.url });
      expect(ok).toMatchObject({ ok: true, detail: expect.stringContaining("org org-stub") });
      expect(mem0.served("GET", "/v1/ping/")).toHaveLength(1);
      const rejected = await check({ MEM0_API_KEY: "m0-wrong-key-000000", MEM0_BASE_URL: mem0.url });
      expect(rejected).toMatchObject({
        ok: false,
        detail: expect.stringContaining("rejected"),
        fix: expect.stringContaining("app.mem0.ai"),
      });
      const down = await check({ MEM0_API_KEY: key, MEM0_BASE_URL: "http://127.0.0.1:9" });
      expect(down).toMatchObject({ ok: false, detail: expect.stringContaining("Mem0 unreachable") });
      expect(JSON.stringify([ok, rejected, down])).not.toContain("m0-");
    } finally {
      await mem0.close();
    }
    const embedded = await check({});
    expect(embedded).toMatchObject({ ok: true, detail: expect.stringContaining("sqlite: ") });
    expect(embedded.detail).toContain("schema v");
  });

  it("knows both ways of routing and the NO_PROXY trap", () => {
    const url = "http://127.0.0.1:8080";
    const ca = "/data/ca/ca.pem";
    const ok = (env: NodeJS.ProcessEnv) => checkShellRouting(env, url, ca).every((c) => c.ok);
    expect(ok({ ANTHROPIC_BASE_URL: "http://localhost:8080" })).toBe(true);
    expect(ok({ HTTPS_PROXY: url, NODE_EXTRA_CA_CERTS: ca })).toBe(true);
    expect(checkShellRouting({ HTTPS_PROXY: url }, url, ca)[0]).toMatchObject({
      ok: false,
      fix: `export NODE_EXTRA_CA_CERTS=${ca}`,
    });
    expect(
      checkShellRouting({ ANTHROPIC_BASE_URL: url, HTTP_PROXY: "http://corp:3128" }, url, ca).at(-1),
    ).toMatchObject({
      ok: false,
      fix: "export NO_PROXY=127.0.0.1,localhost",
    });
    expect(
      ok({ ANTHROPIC_BASE_URL: url, HTTP_PROXY: "http://corp:3128", NO_PROXY: "localhost,127.0.0.1" }),
    ).toBe(true);
    expect(checkShellRouting({}, url, ca)[0]).toMatchObject({ ok: false });
  });
});

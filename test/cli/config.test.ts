import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/cli/load-config.js";
import { validateConfig } from "../../src/core/config.js";
import { ConfigError } from "../../src/core/errors.js";

describe("validateConfig", () => {
  it("applies the seed project's defaults", () => {
    const c = validateConfig({}, "/data");
    expect(c.backend).toBe("sqlite");
    expect(c.defaultUserId).toBe("default_user");
    expect(c.defaultAgentId).toBe("claude-code");
    expect(c.proxy.host).toBe("127.0.0.1");
    expect(c.proxy.port).toBe(8080);
    expect(c.proxy.interceptHosts).toEqual(["api.anthropic.com"]);
    expect(c.proxy.upstreamUrl).toBe("https://api.anthropic.com");
    expect(c.mcp.name).toBe("memory-service");
    expect(c.logLevel).toBe("info");
    expect(c.dataDir).toBe("/data");
  });

  it("picks Mem0 when a key is set and MEMORY_BACKEND is auto", () => {
    expect(validateConfig({ MEM0_API_KEY: "m0-abc" }, "/d").backend).toBe("mem0");
    expect(validateConfig({ MEM0_API_KEY: "m0-abc", MEMORY_BACKEND: "sqlite" }, "/d").backend).toBe("sqlite");
  });

  it("names every bad variable in one error", () => {
    let err: unknown;
    try {
      validateConfig({ MITM_PORT: "eighty", DEBUG: "maybe", UPSTREAM_URL: "not a url" }, "/d");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("MITM_PORT");
    expect(msg).toContain("DEBUG");
    expect(msg).toContain("UPSTREAM_URL");
  });

  it("refuses MEMORY_BACKEND=mem0 without a key, without echoing secrets", () => {
    expect(() => validateConfig({ MEMORY_BACKEND: "mem0" }, "/d")).toThrow(/MEM0_API_KEY/);
  });

  it("treats empty strings as unset and parses lists and booleans", () => {
    const c = validateConfig(
      { MITM_PORT: "", DEBUG: "yes", INTERCEPT_HOSTS: " API.anthropic.com, gateway.local ,," },
      "/d",
    );
    expect(c.proxy.port).toBe(8080);
    expect(c.logLevel).toBe("debug");
    expect(c.proxy.interceptHosts).toEqual(["api.anthropic.com", "gateway.local"]);
  });
});

describe("loadConfig", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "mmm-config-"));

  it("reads .env, lets the environment win, and warns about loose permissions", () => {
    const cwd = dir();
    const file = join(cwd, ".env");
    writeFileSync(file, "DEFAULT_USER_ID=alice\nMITM_PORT=9000\n");
    chmodSync(file, 0o644);
    const loaded = loadConfig({ cwd, env: { MITM_PORT: "9100", HOME: cwd } });
    expect(loaded.config.defaultUserId).toBe("alice");
    expect(loaded.config.proxy.port).toBe(9100);
    expect(loaded.warnings.join("\n")).toContain(`chmod 600 ${file}`);
    chmodSync(file, 0o600);
    expect(loadConfig({ cwd, env: { HOME: cwd } }).warnings).toEqual([]);
  });

  it("uses XDG_DATA_HOME, then MEMORY_DATA_DIR, then the --data-dir override", () => {
    const cwd = dir();
    expect(loadConfig({ cwd, env: { XDG_DATA_HOME: "/xdg" } }).config.dataDir).toBe("/xdg/mcp-mitm-mem0");
    expect(loadConfig({ cwd, env: { HOME: "/home/u" } }).config.dataDir).toBe(
      "/home/u/.local/share/mcp-mitm-mem0",
    );
    expect(loadConfig({ cwd, env: { MEMORY_DATA_DIR: "/m" } }).config.dataDir).toBe("/m");
    expect(
      loadConfig({ cwd, env: { MEMORY_DATA_DIR: "/m" }, overrides: { MEMORY_DATA_DIR: "/flag" } }).config
        .dataDir,
    ).toBe("/flag");
  });
});

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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

  it("names every bad variable in one error, with its value, its source and what is accepted", () => {
    let err: unknown;
    try {
      validateConfig({ MITM_PORT: "eighty", REFLECTION_EVERY: "-1", UPSTREAM_URL: "not a url" }, "/d");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      'MITM_PORT="eighty" (from the environment): expected a port number from 0 to 65535',
    );
    expect(msg).toContain(
      'REFLECTION_EVERY="-1" (from the environment): expected a whole number of 1 or more',
    );
    expect(msg).toContain(
      'UPSTREAM_URL="not a url" (from the environment): expected an http:// or https:// URL',
    );
  });

  it("never echoes the value of a secret in an error", () => {
    expect(() => validateConfig({ PROXY_AUTH_TOKEN: "short-secret" }, "/d")).toThrow(
      /PROXY_AUTH_TOKEN \(from the environment\): expected at least 16 characters/,
    );
    expect(() => validateConfig({ PROXY_AUTH_TOKEN: "short-secret" }, "/d")).not.toThrow(/short-secret/);
  });

  it("reads the shared DEBUG and LOG_LEVEL leniently: another tool's value is never a failure", () => {
    const level = (raw: Record<string, string>) => {
      const warnings: string[] = [];
      return { level: validateConfig(raw, "/d", { warn: (w) => warnings.push(w) }).logLevel, warnings };
    };
    expect(level({ DEBUG: "express:*" })).toEqual({ level: "info", warnings: [] });
    expect(level({ DEBUG: "express:*,mcp-mitm-mem0:*" }).level).toBe("debug");
    expect(level({ DEBUG: "*" }).level).toBe("debug");
    expect(level({ LOG_LEVEL: "verbose" })).toEqual({ level: "debug", warnings: [] });
    expect(level({ LOG_LEVEL: "warning" }).level).toBe("warn");
    const loud = level({ LOG_LEVEL: "loud" });
    expect(loud.level).toBe("info");
    expect(loud.warnings.join("\n")).toContain('ignoring LOG_LEVEL="loud" (from the environment)');
    const maybe = level({ DEBUG: "maybe?" });
    expect(maybe.level).toBe("info");
    expect(maybe.warnings.join("\n")).toContain('ignoring DEBUG="maybe?"');
    // This tool's own variable wins, and is strict.
    expect(level({ MEMORY_LOG_LEVEL: "warn", LOG_LEVEL: "debug", DEBUG: "true" }).level).toBe("warn");
    expect(() => validateConfig({ MEMORY_LOG_LEVEL: "loud" }, "/d")).toThrow(
      /MEMORY_LOG_LEVEL="loud" \(from the environment\): expected one of debug, info, warn, error, silent/,
    );
  });

  it("refuses MEMORY_BACKEND=mem0 without a key, without echoing secrets", () => {
    expect(() => validateConfig({ MEMORY_BACKEND: "mem0" }, "/d")).toThrow(/MEM0_API_KEY/);
  });

  it("selects PostgreSQL only with a DATABASE_URL", () => {
    expect(() => validateConfig({ MEMORY_BACKEND: "postgres" }, "/d")).toThrow(/needs DATABASE_URL/);
    const config = validateConfig(
      { MEMORY_BACKEND: "postgres", DATABASE_URL: "postgresql://u:p@db.example:5432/mem?sslmode=require" },
      "/d",
    );
    expect(config.backend).toBe("postgres");
    expect(config.postgres).toEqual({
      url: "postgresql://u:p@db.example:5432/mem?sslmode=require",
      timeoutMs: 10_000,
    });
    expect(validateConfig({ DATABASE_URL: "postgresql://localhost/mem" }, "/d").backend).toBe("sqlite");
  });

  it("takes an embeddings endpoint only with its model, and checks the weight", () => {
    expect(validateConfig({}, "/data").embeddings).toBeNull();
    expect(
      validateConfig(
        {
          EMBEDDINGS_URL: "http://127.0.0.1:11434",
          EMBEDDINGS_MODEL: "nomic-embed-text",
          EMBEDDINGS_WEIGHT: "0.3",
        },
        "/data",
      ).embeddings,
    ).toEqual({
      url: "http://127.0.0.1:11434",
      model: "nomic-embed-text",
      apiKey: undefined,
      weight: 0.3,
      queryTimeoutMs: 2000,
    });
    expect(() => validateConfig({ EMBEDDINGS_URL: "http://127.0.0.1:11434" }, "/data")).toThrow(
      /EMBEDDINGS_URL and EMBEDDINGS_MODEL: set both/,
    );
    expect(() => validateConfig({ EMBEDDINGS_MODEL: "m" }, "/data")).toThrow(ConfigError);
    expect(() =>
      validateConfig(
        { EMBEDDINGS_URL: "not a url", EMBEDDINGS_MODEL: "m", EMBEDDINGS_WEIGHT: "-1" },
        "/data",
      ),
    ).toThrow(/EMBEDDINGS_URL[\s\S]*EMBEDDINGS_WEIGHT/);
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

  it("reads the data directory's .env, lets the environment win, and warns about loose permissions", () => {
    const data = dir();
    const file = join(data, ".env");
    writeFileSync(file, "DEFAULT_USER_ID=alice\nMITM_PORT=9000\n");
    chmodSync(file, 0o644);
    const loaded = loadConfig({ cwd: dir(), env: { MITM_PORT: "9100", HOME: data, MEMORY_DATA_DIR: data } });
    expect(loaded.envFile).toBe(file);
    expect(loaded.config.defaultUserId).toBe("alice");
    expect(loaded.config.proxy.port).toBe(9100);
    expect(loaded.warnings.join("\n")).toContain(`chmod 600 ${file}`);
    chmodSync(file, 0o600);
    expect(loadConfig({ cwd: dir(), env: { HOME: data, MEMORY_DATA_DIR: data } }).warnings).toEqual([]);
  });

  it("never reads the .env of another project in the working directory", () => {
    const project = dir();
    writeFileSync(join(project, "package.json"), '{"name":"someone-elses-app"}');
    writeFileSync(
      join(project, ".env"),
      "LOG_LEVEL=verbose\nDEBUG=express:*\nMITM_PORT=abc\nDEFAULT_USER_ID=app\n",
      {
        mode: 0o600,
      },
    );
    const home = dir();
    const loaded = loadConfig({ cwd: project, env: { HOME: home } });
    expect(loaded.envFile).toBeNull();
    expect(loaded.config.defaultUserId).toBe("default_user");
    expect(loaded.config.proxy.port).toBe(8080);
  });

  it("reads ~/.config/mcp-mitm-mem0/.env, and a checkout's own .env", () => {
    const home = dir();
    mkdirSync(join(home, ".config", "mcp-mitm-mem0"), { recursive: true });
    writeFileSync(join(home, ".config", "mcp-mitm-mem0", ".env"), "DEFAULT_USER_ID=bob\n", { mode: 0o600 });
    expect(loadConfig({ cwd: dir(), env: { HOME: home } }).config.defaultUserId).toBe("bob");
    const checkout = dir();
    writeFileSync(join(checkout, "package.json"), '{"name":"mcp-mitm-mem0"}');
    writeFileSync(join(checkout, ".env"), "DEFAULT_USER_ID=dev\n", { mode: 0o600 });
    expect(loadConfig({ cwd: checkout, env: { HOME: dir() } }).config.defaultUserId).toBe("dev");
  });

  it("names the file a bad value came from, and a --config file that cannot be read", () => {
    const data = dir();
    writeFileSync(join(data, ".env"), "MITM_PORT=abc\n", { mode: 0o600 });
    expect(() => loadConfig({ cwd: dir(), env: { HOME: data, MEMORY_DATA_DIR: data } })).toThrow(
      `MITM_PORT="abc" (from ${join(data, ".env")}): expected a port number`,
    );
    expect(() => loadConfig({ cwd: data, env: { HOME: data }, envFile: "/nope" })).toThrow(
      "--config /nope: cannot read /nope (no such file); expected a file of KEY=value lines",
    );
    expect(() =>
      loadConfig({
        cwd: data,
        env: { HOME: data },
        overrides: { MEMORY_DATA_DIR: join(data, "x") },
        envFile: undefined,
      }),
    ).not.toThrow();
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

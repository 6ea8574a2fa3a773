import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedProxy, spawnStart } from "../capture/support/cli-process.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";

/**
 * `doctor`'s checks of Claude Code's setup, on temp HOMEs with the built CLI:
 * after `setup claude-code` every check passes; each piece removed or broken
 * fails its own check, and the command the check says to run (run here as
 * printed) makes doctor pass again; a malformed file is one failed check
 * naming file:line, never a crash; not set up at all is one informational line.
 */

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** A port nobody listens on (taken from the system, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8"));
const writeJson = (p: string, v: unknown) => writeFileSync(p, `${JSON.stringify(v, null, 2)}\n`);

interface Home {
  home: string;
  data: string;
  project: string;
  env: Record<string, string>;
  settings: string;
  claudeJson: string;
}

function newHome(port: number, extra: Record<string, string> = {}): Home {
  const home = tempDataDir("mmm-doctor-cc-");
  const project = join(home, "acme-api");
  mkdirSync(project);
  const data = join(home, "data");
  return {
    home,
    data,
    project,
    env: { HOME: home, MEMORY_DATA_DIR: data, MITM_PORT: String(port), ...extra },
    settings: join(home, ".claude", "settings.json"),
    claudeJson: join(home, ".claude.json"),
  };
}

async function doctor(h: Home, env: Record<string, string> = {}) {
  const r = await runCli(["doctor", "--json"], { env: { ...h.env, ...env }, cwd: h.project });
  expect(r.stderr, r.stderr).not.toMatch(/\n\s+at /); // no stack trace, whatever the files hold
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  const by = (name: string) => {
    const c = report.checks.find((x) => x.name === name);
    if (!c) throw new Error(`no check "${name}" in ${JSON.stringify(report.checks, null, 2)}`);
    return c;
  };
  return { code: r.code, report, by, failed: report.checks.filter((c) => !c.ok) };
}

/** Runs a check's fix as printed (`mcp-mitm-mem0 ...   # comment`) with the built CLI. */
async function runFix(h: Home, fix: string | undefined) {
  const command = (fix ?? "").split("   #")[0]?.trim() ?? "";
  const words = command.split(/\s+/);
  expect(words[0], `a command of this tool: ${fix}`).toBe("mcp-mitm-mem0");
  const r = await runCli(words.slice(1), { env: h.env, cwd: h.project });
  expect(r.code, r.stderr).toBe(0);
}

async function setup(h: Home, args: string[] = []) {
  const r = await runCli(["setup", "claude-code", ...args], { env: h.env, cwd: h.project });
  expect(r.code, r.stderr).toBe(0);
}

describe("doctor: Claude Code's setup", () => {
  let proxy: StartedProxy;
  let proxyData: string;
  beforeAll(async () => {
    // One proxy for the homes that route through it; each home's data directory is its own,
    // so a home that should be "up" shares this one's data directory.
    proxyData = tempDataDir("mmm-doctor-cc-proxy-");
    proxy = await spawnStart(proxyData, {});
  }, 60_000);
  afterAll(async () => {
    proxy?.child.kill("SIGTERM");
    await proxy?.exited;
  });

  it("not set up at all: one informational line that suggests setup claude-code, no failure of its own", async () => {
    const h = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    const d = await doctor(h);
    const claude = d.report.checks.filter((c) => c.name.startsWith("claude code"));
    expect(claude).toHaveLength(1);
    expect(claude[0]).toMatchObject({ name: "claude code", ok: true });
    expect(claude[0]?.detail).toContain("not set up");
    expect(claude[0]?.detail).toContain(`mcp-mitm-mem0 --data-dir ${proxyData} setup claude-code`);
  });

  it("set up: every check passes; each piece removed or broken fails its check, and its fix works", async () => {
    const h = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    await setup(h);
    const good = await doctor(h);
    expect(good.failed).toEqual([]);
    expect(good.code).toBe(0);
    for (const name of ["routing", "proxy", "mcp", "permissions", "hooks"]) {
      expect(good.by(`claude code ${name}`).ok).toBe(true);
    }
    expect(good.by("claude code routing").detail).toContain(`ANTHROPIC_BASE_URL=${proxy.url}`);
    expect(good.by("claude code proxy").detail).toContain(`pid ${proxy.child.pid}`);
    expect(good.by("claude code mcp").detail).toContain(`${cliPath} mcp, data dir ${proxyData}`);
    // This shell sets no routing variable, and needs none: Claude Code's settings route it.
    expect(good.by("shell")).toMatchObject({ ok: true, detail: expect.stringContaining("not needed") });

    const pristine = { settings: readFileSync(h.settings), claudeJson: readFileSync(h.claudeJson) };
    const restore = () => {
      writeFileSync(h.settings, pristine.settings);
      writeFileSync(h.claudeJson, pristine.claudeJson);
    };
    const setupFix = `mcp-mitm-mem0 --data-dir ${proxyData} setup claude-code`;
    const breaks: {
      what: string;
      check: string;
      detail: string;
      fix?: string;
      edit: () => void;
    }[] = [
      {
        what: "routing removed",
        check: "claude code routing",
        detail: "nothing it does is captured",
        edit: () => {
          const s = readJson(h.settings);
          delete s.env.ANTHROPIC_BASE_URL;
          writeJson(h.settings, s);
        },
      },
      {
        what: "routing to another port",
        check: "claude code routing",
        detail: `ANTHROPIC_BASE_URL is http://127.0.0.1:9 (${h.settings}), not this proxy (${proxy.url})`,
        edit: () => {
          const s = readJson(h.settings);
          s.env.ANTHROPIC_BASE_URL = "http://127.0.0.1:9";
          writeJson(h.settings, s);
        },
      },
      {
        what: "MCP server removed",
        check: "claude code mcp",
        detail: "no MCP server of this tool",
        edit: () => {
          const c = readJson(h.claudeJson);
          delete c.mcpServers.memory;
          writeJson(h.claudeJson, c);
        },
      },
      {
        what: "MCP server's Node gone",
        check: "claude code mcp",
        detail: "/gone/bin/node does not exist or cannot run",
        edit: () => {
          const c = readJson(h.claudeJson);
          c.mcpServers.memory.command = "/gone/bin/node";
          writeJson(h.claudeJson, c);
        },
      },
      {
        what: "MCP server's CLI gone",
        check: "claude code mcp",
        detail: "the CLI /old/checkout/dist/cli/main.js does not exist",
        edit: () => {
          const c = readJson(h.claudeJson);
          c.mcpServers.memory.args[0] = "/old/checkout/dist/cli/main.js";
          writeJson(h.claudeJson, c);
        },
      },
      {
        what: "MCP server on another data directory",
        check: "claude code mcp",
        detail: `it uses the data directory /elsewhere/data, not ${proxyData}`,
        edit: () => {
          const c = readJson(h.claudeJson);
          c.mcpServers.memory.env.MEMORY_DATA_DIR = "/elsewhere/data";
          writeJson(h.claudeJson, c);
        },
      },
      {
        what: "a read tool no longer allowed",
        check: "claude code permissions",
        detail: "not in permissions.allow: mcp__memory__get_memory",
        edit: () => {
          const s = readJson(h.settings);
          s.permissions.allow = s.permissions.allow.filter((r: string) => r !== "mcp__memory__get_memory");
          writeJson(h.settings, s);
        },
      },
      {
        what: "a read tool denied",
        check: "claude code permissions",
        detail: "mcp__memory__search_memories",
        fix: `remove "mcp__memory__search_memories" from permissions.deny in ${h.settings}`,
        edit: () => {
          const s = readJson(h.settings);
          s.permissions.deny = ["mcp__memory__search_memories"];
          writeJson(h.settings, s);
        },
      },
      {
        what: "the UserPromptSubmit hook removed",
        check: "claude code hooks",
        detail: "no UserPromptSubmit hook of this tool",
        edit: () => {
          const s = readJson(h.settings);
          delete s.hooks.UserPromptSubmit;
          writeJson(h.settings, s);
        },
      },
      {
        what: "the SessionStart hook's CLI gone",
        check: "claude code hooks",
        detail: "SessionStart: the CLI /old/checkout/dist/cli/main.js does not exist",
        edit: () => {
          const s = readJson(h.settings);
          const hook = s.hooks.SessionStart[0].hooks[0];
          hook.command = hook.command.replace(cliPath, "/old/checkout/dist/cli/main.js");
          writeJson(h.settings, s);
        },
      },
      {
        what: "every hook disabled",
        check: "claude code hooks",
        detail: `disableAllHooks is true in ${h.settings}`,
        fix: `remove "disableAllHooks" from ${h.settings}`,
        edit: () => {
          const s = readJson(h.settings);
          s.disableAllHooks = true;
          writeJson(h.settings, s);
        },
      },
    ];
    for (const b of breaks) {
      b.edit();
      const d = await doctor(h);
      const c = d.by(b.check);
      expect(c.ok, b.what).toBe(false);
      expect(c.detail, b.what).toContain(b.detail);
      expect(d.code, b.what).not.toBe(0);
      // Only the broken piece fails among Claude Code's checks.
      expect(
        d.failed.filter((f) => f.name.startsWith("claude code")).map((f) => f.name),
        b.what,
      ).toEqual([b.check]);
      if (b.fix) {
        expect(c.fix, b.what).toBe(b.fix);
        restore();
      } else {
        expect(c.fix?.split("   #")[0], b.what).toBe(setupFix);
        await runFix(h, c.fix); // what doctor says to run repairs it
        expect((await doctor(h)).failed, `after the fix of: ${b.what}`).toEqual([]);
        restore();
      }
    }
  }, 300_000);

  it("a malformed settings file is one failed check naming file:line, never a crash", async () => {
    const h = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    await setup(h);
    writeFileSync(h.settings, '{\n  "model": "opus",\n  "env": { "A": "1", }\n}\n');
    const d = await doctor(h);
    expect(d.code).not.toBe(0);
    const claude = d.report.checks.filter((c) => c.name.startsWith("claude code"));
    expect(claude).toHaveLength(1);
    expect(claude[0]).toMatchObject({ name: "claude code settings", ok: false });
    expect(claude[0]?.detail).toContain(`${h.settings}:3:`);
    expect(claude[0]?.detail).toContain("not valid JSON");
    expect(claude[0]?.fix).toContain(`fix the JSON at ${h.settings}:3:`);
    // ~/.claude.json as well, and not a JSON object at all.
    writeFileSync(h.settings, "{}\n");
    writeFileSync(h.claudeJson, "[1, 2]\n");
    const d2 = await doctor(h);
    expect(d2.by("claude code settings")).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${h.claudeJson}:1:1: expected a JSON object`),
    });
  });

  it("the proxy down while routing is set: says Claude Code cannot connect, and what starts it", async () => {
    // A home of its own, on a free port nobody listens to, with its own data directory.
    const h = newHome(await freePort());
    await setup(h);
    const d = await doctor(h);
    const c = d.by("claude code proxy");
    expect(c.ok).toBe(false);
    expect(c.detail).toContain("Unable to connect to API (ConnectionRefused)");
    expect(c.fix).toBe(
      `mcp-mitm-mem0 --data-dir ${h.data} start --background   # now; at every login: mcp-mitm-mem0 --data-dir ${h.data} setup service --enable`,
    );
    // A service written but not enabled: the fix is the commands that enable it.
    const svc = await runCli(["setup", "service", "--platform", "linux"], { env: h.env, cwd: h.project });
    expect(svc.code, svc.stderr).toBe(0);
    const d2 = await doctor(h);
    expect(d2.by("claude code proxy")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("is written but not enabled"),
      fix: "systemctl --user daemon-reload && systemctl --user enable --now mcp-mitm-mem0.service",
    });
  });

  it("--route none with the transcripts watched passes; without the watcher, routing says what to run", async () => {
    const h = newHome(await freePort());
    await setup(h, ["--route", "none"]);
    expect((await runCli(["ca", "path"], { env: h.env })).code).toBe(0);
    mkdirSync(join(h.home, ".claude", "projects"), { recursive: true });
    const watch: ChildProcessWithoutNullStreams = spawn(process.execPath, [cliPath, "watch"], {
      env: { PATH: process.env.PATH ?? "", ...h.env },
      cwd: h.project,
    });
    let err = "";
    watch.stderr.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    watch.stdout.resume();
    const exited = new Promise((r) => watch.on("close", r));
    try {
      await until(
        () => err.includes("watching ") || watch.exitCode !== null,
        () => `watch:\n${err}`,
      );
      const d = await doctor(h);
      expect(d.by("claude code routing")).toMatchObject({
        ok: true,
        detail: expect.stringContaining(`followed by watch (pid ${watch.pid})`),
      });
      // Neither the proxy nor this shell's routing is needed then.
      expect(d.by("proxy")).toMatchObject({ ok: true, detail: expect.stringContaining("not needed") });
      expect(d.by("shell").ok).toBe(true);
      expect(d.failed).toEqual([]);
    } finally {
      watch.kill("SIGTERM");
      await exited;
    }
    const d = await doctor(h);
    expect(d.by("claude code routing")).toMatchObject({
      ok: false,
      fix: `mcp-mitm-mem0 --data-dir ${h.data} setup claude-code   # routes it through the proxy; or, to leave it unrouted: mcp-mitm-mem0 --data-dir ${h.data} watch`,
    });
  });

  it("--scope project: the server in .mcp.json must be approved; CLAUDE_CONFIG_DIR is where the user files are", async () => {
    const h = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    await setup(h, ["--scope", "project"]);
    const good = await doctor(h);
    expect(good.failed).toEqual([]);
    expect(good.by("claude code mcp").detail).toContain(`(project, ${join(h.project, ".mcp.json")})`);
    const local = join(h.project, ".claude", "settings.local.json");
    writeJson(local, {});
    const d = await doctor(h);
    expect(d.by("claude code mcp")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("is not approved"),
      fix: `mcp-mitm-mem0 --data-dir ${proxyData} setup claude-code --scope project`,
    });
    await runFix(h, d.by("claude code mcp").fix);
    expect((await doctor(h)).failed).toEqual([]);

    // User scope under CLAUDE_CONFIG_DIR: doctor reads the same files setup wrote.
    const h2 = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    const configDir = join(h2.home, "claude-config");
    h2.env.CLAUDE_CONFIG_DIR = configDir;
    await setup(h2);
    expect(readJson(join(configDir, ".claude.json")).mcpServers.memory).toBeDefined();
    expect((await doctor(h2)).failed).toEqual([]);
    const without = await doctor(h2, { CLAUDE_CONFIG_DIR: join(h2.home, "empty") });
    expect(without.by("claude code").detail).toContain("not set up");
  });

  it("--route proxy: NODE_EXTRA_CA_CERTS must hold the proxy's CA", async () => {
    const h = newHome(proxy.port, { MEMORY_DATA_DIR: proxyData });
    await setup(h, ["--route", "proxy"]);
    const good = await doctor(h);
    expect(good.failed).toEqual([]);
    expect(good.by("claude code routing").detail).toContain("NODE_EXTRA_CA_CERTS holds its CA");
    // A bundle without the proxy's CA (a real CA certificate: another data directory's).
    const corp = tempDataDir("mmm-doctor-corp-");
    const corpCa = (await runCli(["ca", "path", "--data-dir", corp], { env: { HOME: corp } })).stdout.trim();
    const s = readJson(h.settings);
    s.env.NODE_EXTRA_CA_CERTS = corpCa;
    writeJson(h.settings, s);
    const d = await doctor(h);
    expect(d.by("claude code routing")).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`NODE_EXTRA_CA_CERTS (${corpCa}) does not hold the proxy's CA`),
      fix: `mcp-mitm-mem0 --data-dir ${proxyData} setup claude-code --route proxy`,
    });
    // The fix keeps that bundle: setup writes one holding both.
    await runFix(h, d.by("claude code routing").fix);
    expect((await doctor(h)).failed).toEqual([]);
    // A bundle that does not exist: setup would refuse it, so doctor says to fix the setting first.
    s.env.NODE_EXTRA_CA_CERTS = join(h.home, "no-such.pem");
    writeJson(h.settings, s);
    expect((await doctor(h)).by("claude code routing")).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${join(h.home, "no-such.pem")}, which does not exist`),
      fix: expect.stringContaining(`point env.NODE_EXTRA_CA_CERTS in ${h.settings} at a bundle that exists`),
    });
    s.env.NODE_EXTRA_CA_CERTS = corpCa;
    writeJson(h.settings, s);
    await runFix(h, d.by("claude code routing").fix);
    expect((await doctor(h)).failed).toEqual([]);
  });
});

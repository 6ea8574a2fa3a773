import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { bundleContains } from "../../src/capture/tls/ca-bundle.js";
import { READ_TOOLS } from "../../src/core/claude-setup.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";

/** Every file under `dir` with its bytes and mode: what "writes nothing" and "byte for byte" are checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p).toString("base64")}`;
    }
  };
  walk(dir);
  return out;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8"));

/** A temp HOME with Claude Code's files as a person who has used it has them. */
function homeWithSettings(): { home: string; settings: string; claudeJson: string; data: string } {
  const home = tempDataDir("mmm-setup-home-");
  mkdirSync(join(home, ".claude"));
  const settings = join(home, ".claude", "settings.json");
  // Hand-formatted, with a mode of its own: undo must give back these exact bytes.
  writeFileSync(
    settings,
    '{\n    "model": "opus",\n    "env": { "FOO": "bar", "ANTHROPIC_BASE_URL": "https://gateway.example" },\n    "permissions": { "allow": ["Bash(npm test)"], "ask": ["mcp__memory__delete_memory"] },\n    "hooks": { "SessionStart": [ { "hooks": [ { "type": "command", "command": "echo hi" } ] } ] }\n}\n',
  );
  chmodSync(settings, 0o640);
  const claudeJson = join(home, ".claude.json");
  writeFileSync(
    claudeJson,
    JSON.stringify({ numStartups: 3, mcpServers: { other: { type: "stdio", command: "x", args: [] } } }),
    { mode: 0o600 },
  );
  return { home, settings, claudeJson, data: join(home, "data") };
}

const env = (home: string, data: string, extra: Record<string, string> = {}) => ({
  HOME: home,
  MEMORY_DATA_DIR: data,
  MITM_PORT: "18931",
  ...extra,
});

describe("setup claude-code", () => {
  it("merges into existing settings, keeps their mode, backs them up, is idempotent, and --undo gives back the exact bytes", async () => {
    const { home, settings, claudeJson, data } = homeWithSettings();
    const before = snapshot(home);
    const originalSettings = readFileSync(settings);

    const first = await runCli(["setup", "claude-code"], { env: env(home, data), cwd: home });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`changed: ${settings}`);
    expect(first.stdout).toContain(
      "~ env.ANTHROPIC_BASE_URL: https://gateway.example → http://127.0.0.1:18931",
    );

    const s = readJson(settings);
    expect(s.model).toBe("opus");
    expect(s.env).toEqual({ FOO: "bar", ANTHROPIC_BASE_URL: "http://127.0.0.1:18931" });
    expect(s.permissions.allow).toEqual(["Bash(npm test)", ...READ_TOOLS.map((t) => `mcp__memory__${t}`)]);
    expect(s.permissions.ask).toEqual(["mcp__memory__delete_memory"]);
    // The person's own hook stays; ours comes after it, with absolute paths and the data directory.
    expect(s.hooks.SessionStart[0]).toEqual({ hooks: [{ type: "command", command: "echo hi" }] });
    const node = process.execPath;
    expect(s.hooks.SessionStart[1].hooks[0].command).toBe(
      `MEMORY_DATA_DIR=${data} MITM_PORT=18931 "${node}" "${cliPath}" hook SessionStart`,
    );
    expect(s.hooks.UserPromptSubmit[0].hooks[0].command).toBe(
      `MEMORY_DATA_DIR=${data} MITM_PORT=18931 "${node}" "${cliPath}" hook UserPromptSubmit`,
    );
    expect(statSync(settings).mode & 0o777).toBe(0o640);

    const c = readJson(claudeJson);
    expect(c.numStartups).toBe(3);
    expect(c.mcpServers.other).toEqual({ type: "stdio", command: "x", args: [] });
    expect(c.mcpServers.memory).toEqual({
      type: "stdio",
      command: node,
      args: [cliPath, "mcp"],
      env: { MEMORY_DATA_DIR: data, MITM_PORT: "18931" },
    });

    // The backup is the file as it was.
    const backupLine = first.stdout
      .split("\n")
      .find((l) => l.includes("backup:") && l.includes("settings.json"));
    const backupPath = backupLine?.split("backup: ")[1]?.trim() ?? "";
    expect(readFileSync(backupPath).equals(originalSettings)).toBe(true);

    // Twice: nothing changes, no new backup.
    const afterFirst = snapshot(home);
    const second = await runCli(["setup", "claude-code"], { env: env(home, data), cwd: home });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("already set up: nothing changed");
    expect(snapshot(home)).toEqual(afterFirst);

    const undo = await runCli(["setup", "claude-code", "--undo"], { env: env(home, data), cwd: home });
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain(`restored: ${settings}`);
    const after = snapshot(home);
    for (const [path, content] of Object.entries(before)) expect(after[path]).toBe(content);
    // Nothing of ours left outside the data directory (backups stay in it).
    expect(Object.keys(after).filter((p) => !p.startsWith(data))).toEqual(Object.keys(before));
  });

  it("registers the MCP server so that it starts from any folder with the same data directory, and allows exactly its read-only tools", async () => {
    const home = tempDataDir("mmm-setup-mcp-");
    const data = join(home, "data");
    expect(
      (await runCli(["add", "--data-dir", data, "the deploy key lives in vault"], { env: { HOME: home } }))
        .code,
    ).toBe(0);
    const r = await runCli(["setup", "claude-code", "--route", "none"], {
      env: { HOME: home, MEMORY_DATA_DIR: data },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("goes through the proxy");
    const settings = readJson(join(home, ".claude", "settings.json"));
    expect(settings.env).toBeUndefined();
    const entry = readJson(join(home, ".claude.json")).mcpServers.memory;
    // Started as Claude Code starts it: the entry's command, args and env only, in another folder.
    const elsewhere = tempDataDir("mmm-setup-elsewhere-");
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: { ...entry.env, HOME: elsewhere },
      cwd: elsewhere,
      stderr: "pipe",
    });
    const client = new Client({ name: "setup-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      const readOnly = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name);
      expect([...readOnly].sort()).toEqual([...READ_TOOLS].sort());
      expect([...settings.permissions.allow].sort()).toEqual(readOnly.map((t) => `mcp__memory__${t}`).sort());
      for (const t of tools.filter((t) => t.annotations?.destructiveHint === true)) {
        expect(settings.permissions.allow).not.toContain(`mcp__memory__${t.name}`);
      }
      const found = await client.callTool({ name: "search_memories", arguments: { query: "deploy key" } });
      expect(JSON.stringify(found.content)).toContain("vault");
    } finally {
      await client.close();
    }
  });

  it("refuses a malformed settings file with its path and line, and writes nothing", async () => {
    const { home, settings, data } = homeWithSettings();
    writeFileSync(settings, '{\n  "model": "opus",\n  "env": { "A": "1", }\n}\n');
    const before = snapshot(home);
    const r = await runCli(["setup", "claude-code"], { env: env(home, data), cwd: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${settings}:3:`);
    expect(r.stderr).toContain("not valid JSON");
    expect(snapshot(home)).toEqual(before);
  });

  it("--dry-run prints the changes and writes nothing (not even the CA for --route proxy)", async () => {
    const { home, data } = homeWithSettings();
    const before = snapshot(home);
    for (const route of ["base-url", "proxy"]) {
      const r = await runCli(["setup", "claude-code", "--route", route, "--dry-run"], {
        env: env(home, data),
        cwd: home,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("would change");
      expect(r.stdout).toContain("+ mcpServers.memory");
      expect(r.stdout).toContain("dry run: nothing was written");
      expect(snapshot(home)).toEqual(before);
    }
  });

  it("--route proxy keeps a corporate NODE_EXTRA_CA_CERTS bundle working beside the proxy's CA", async () => {
    const { home, settings, data } = homeWithSettings();
    // A real CA certificate standing for the corporate one: the CA of another data directory.
    const corp = tempDataDir("mmm-corp-");
    const corpCa = (await runCli(["ca", "path", "--data-dir", corp], { env: { HOME: corp } })).stdout.trim();
    const r = await runCli(["setup", "claude-code", "--route", "proxy"], {
      env: env(home, data, { NODE_EXTRA_CA_CERTS: corpCa }),
      cwd: home,
    });
    expect(r.stderr).toContain("created the capture CA");
    expect(r.code).toBe(0);
    const s = readJson(settings);
    expect(s.env.HTTPS_PROXY).toBe("http://127.0.0.1:18931");
    const ourCa = join(data, "ca", "ca.pem");
    expect(s.env.NODE_EXTRA_CA_CERTS).toBe(join(data, "ca", "bundle.pem"));
    expect(bundleContains(s.env.NODE_EXTRA_CA_CERTS, corpCa)).toBe(true);
    expect(bundleContains(s.env.NODE_EXTRA_CA_CERTS, ourCa)).toBe(true);
    // The base URL set before (not ours) is left alone; switching routes replaces only our own entry.
    expect(s.env.ANTHROPIC_BASE_URL).toBe("https://gateway.example");
    await runCli(["setup", "claude-code", "--route", "base-url"], { env: env(home, data), cwd: home });
    const back = readJson(settings);
    expect(back.env.ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:18931");
    expect(back.env.HTTPS_PROXY).toBeUndefined();
    expect(back.env.NODE_EXTRA_CA_CERTS).toBeUndefined();
  });

  it("--undo after Claude Code rewrote ~/.claude.json keeps its changes and takes out only setup's", async () => {
    const { home, claudeJson, data } = homeWithSettings();
    expect((await runCli(["setup", "claude-code"], { env: env(home, data), cwd: home })).code).toBe(0);
    const edited = readJson(claudeJson);
    edited.numStartups = 4;
    edited.projects = { "/somewhere": { allowedTools: [] } };
    writeFileSync(claudeJson, JSON.stringify(edited, null, 2));
    const undo = await runCli(["setup", "claude-code", "--undo"], { env: env(home, data), cwd: home });
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain(`reverted: ${claudeJson}`);
    expect(readJson(claudeJson)).toEqual({
      numStartups: 4,
      mcpServers: { other: { type: "stdio", command: "x", args: [] } },
      projects: { "/somewhere": { allowedTools: [] } },
    });
    const again = await runCli(["setup", "claude-code", "--undo"], { env: env(home, data), cwd: home });
    expect(again.stdout).toContain("nothing to undo");
  });

  it("--scope project writes .mcp.json, approves it in .claude/settings.local.json, and undoes to nothing", async () => {
    const home = tempDataDir("mmm-setup-proj-home-");
    const project = tempDataDir("mmm-setup-proj-");
    const data = join(home, "data");
    const r = await runCli(["setup", "claude-code", "--scope", "project"], {
      env: env(home, data),
      cwd: project,
    });
    expect(r.code).toBe(0);
    expect(readJson(join(project, ".mcp.json")).mcpServers.memory.args).toEqual([cliPath, "mcp"]);
    expect(readJson(join(project, ".claude", "settings.local.json"))).toEqual({
      enabledMcpjsonServers: ["memory"],
    });
    expect(readJson(join(project, ".claude", "settings.json")).env.ANTHROPIC_BASE_URL).toBe(
      "http://127.0.0.1:18931",
    );
    const tokenRefused = await runCli(["setup", "claude-code", "--scope", "project"], {
      env: env(home, data, { PROXY_AUTH_TOKEN: "s3cret-token-0123456789" }),
      cwd: project,
    });
    expect(tokenRefused.code).toBe(2);
    expect(tokenRefused.stderr).toContain("shared with the project");
    expect(tokenRefused.stderr).not.toContain("s3cret");
    const undo = await runCli(["setup", "claude-code", "--scope", "project", "--undo"], {
      env: env(home, data),
      cwd: project,
    });
    expect(undo.code).toBe(0);
    expect(Object.keys(snapshot(project))).toEqual([]);
  });
});

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pidAlive } from "../../src/capture/proxy/proxy-status.js";
import { PROXY_NODE_FLAGS } from "../../src/cli/node-flags.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";

const children: number[] = [];
afterAll(() => {
  for (const pid of children) if (pidAlive(pid)) process.kill(pid, "SIGTERM");
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The words of a systemd command line as systemd reads them (double quotes, backslash escapes). */
function systemdWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
}

describe("setup service", () => {
  it("writes a systemd user unit (not enabled) whose command really runs this data directory's proxy", async () => {
    const home = tempDataDir("mmm-svc-");
    const data = join(home, "data");
    const port = await freePort();
    const env = { HOME: home, MEMORY_DATA_DIR: data, MITM_PORT: String(port) };
    const r = await runCli(["setup", "service", "--platform", "linux", "--no-ui"], { env });
    expect(r.code).toBe(0);
    const file = join(home, ".config", "systemd", "user", "mcp-mitm-mem0.service");
    expect(r.stdout).toContain(`created: ${file}`);
    expect(r.stdout).toContain("not enabled yet");
    expect(r.stdout).toContain("systemctl --user enable --now mcp-mitm-mem0.service");
    const unit = readFileSync(file, "utf8");
    if (spawnSync("systemd-analyze", ["--version"]).status === 0) {
      const verify = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
      expect(verify.stderr).toBe("");
      expect(verify.status).toBe(0);
    }
    const exec = systemdWords(unit.split("\n").find((l) => l.startsWith("ExecStart=")) ?? "");
    // node, the proxy's node flags (node-flags.ts), the CLI.
    expect(exec).toEqual([
      process.execPath,
      ...PROXY_NODE_FLAGS,
      cliPath,
      "--data-dir",
      data,
      "start",
      "--no-ui",
    ]);
    const unitEnv = Object.fromEntries(
      unit
        .split("\n")
        .filter((l) => l.startsWith("Environment="))
        .map((l) => systemdWords(l)[0]?.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    expect(unitEnv).toEqual({ MEMORY_DATA_DIR: data, MITM_PORT: String(port) });

    // Run exactly what systemd would run, with only the unit's environment.
    const child = spawn(exec[0] as string, exec.slice(1), {
      env: { ...unitEnv, HOME: home },
      stdio: "ignore",
    });
    children.push(child.pid as number);
    await until(async () => {
      try {
        const h = (await (await fetch(`http://127.0.0.1:${port}/__mcp-mitm-mem0/health`)).json()) as {
          dataDir: string;
        };
        return h.dataDir === data;
      } catch {
        return false;
      }
    }, "the service's proxy to answer");
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const stop = await runCli(["stop"], { env });
    expect(stop.stdout).toContain(`(pid ${child.pid})`);
    // A clean exit (0), so Restart=on-failure does not bring it back after `stop`.
    expect(await exited).toBe(0);

    const again = await runCli(["setup", "service", "--platform", "linux", "--no-ui"], { env });
    expect(again.stdout).toContain(`unchanged: ${file}`);
    const undo = await runCli(["setup", "service", "--platform", "linux", "--undo"], { env });
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain("systemctl --user disable --now mcp-mitm-mem0.service");
    expect(existsSync(file)).toBe(false);
    const backup = /backup: (.+)/.exec(undo.stdout)?.[1] ?? "";
    expect(readFileSync(backup, "utf8")).toBe(unit);
  });

  it("writes a launchd agent for macOS, and --dry-run writes nothing", async () => {
    const home = tempDataDir("mmm-svc-mac-");
    const data = join(home, "data & more");
    const env = { HOME: home, MEMORY_DATA_DIR: data };
    const dry = await runCli(["setup", "service", "--platform", "macos", "--dry-run"], { env });
    expect(dry.code).toBe(0);
    const file = join(home, "Library", "LaunchAgents", "dev.mcp-mitm-mem0.proxy.plist");
    expect(dry.stdout).toContain(`would create: ${file}`);
    expect(existsSync(join(home, "Library"))).toBe(false);
    const r = await runCli(["setup", "service", "--platform", "macos"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/launchctl bootstrap gui\/\d+ /);
    const plist = readFileSync(file, "utf8");
    expect(plist).toContain(
      `<string>${process.execPath}</string>\n${PROXY_NODE_FLAGS.map((f) => `    <string>${f}</string>\n`).join("")}    <string>${cliPath}</string>\n    <string>--data-dir</string>\n    <string>${data.replace("&", "&amp;")}</string>\n    <string>start</string>`,
    );
    expect(plist).toContain("<key>RunAtLoad</key>\n  <true/>");
    expect(plist).toContain("<key>SuccessfulExit</key>\n    <false/>");
  });
});

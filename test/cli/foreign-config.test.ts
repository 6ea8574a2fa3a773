import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";

/** A project's own `.env`, with values common in other tools that this one must not take as its own. */
function projectWithForeignEnv(): string {
  const project = tempDataDir("mmm-project-");
  writeFileSync(join(project, "package.json"), '{"name":"web-shop"}');
  writeFileSync(
    join(project, ".env"),
    "LOG_LEVEL=verbose\nDEBUG=express:*\nMITM_PORT=abc\nDEFAULT_USER_ID=web-shop\nMEM0_API_KEY=not-ours\n",
    { mode: 0o600 },
  );
  return project;
}

describe("configuration that belongs to other tools", () => {
  it("the MCP server starts in a project whose .env is for that project, and answers over stdio", async () => {
    const project = projectWithForeignEnv();
    const data = tempDataDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp", "--data-dir", data],
      // The shell's DEBUG is someone else's too.
      env: { HOME: data, DEBUG: "express:*" },
      cwd: project,
      stderr: "pipe",
    });
    const client = new Client({ name: "foreign-env-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("search_memories");
    } finally {
      await client.close();
    }
  });

  it("a command run in that project uses this tool's defaults, not the project's .env", async () => {
    const project = projectWithForeignEnv();
    const data = tempDataDir();
    const r = await runCli(["stats", "--json", "--data-dir", data], {
      cwd: project,
      env: { DEBUG: "express:*" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error|"level":"debug"/);
    expect((JSON.parse(r.stdout) as { backend: string }).backend).toBe("sqlite");
  });

  it("when the MCP server cannot start, it says why on one stderr line", async () => {
    const r = await runCli(["mcp", "--data-dir", tempDataDir()], { env: { MITM_PORT: "abc" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      'error: mcp-mitm-mem0 mcp cannot start: invalid configuration: MITM_PORT="abc" (from the environment): expected a port number from 0 to 65535 (0 picks a free one)',
    );
  });

  it("names the input, its source and what is accepted", async () => {
    const data = tempDataDir();
    const missing = await runCli(["stats", "--config", "/nonexistent/config.env", "--data-dir", data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "--config /nonexistent/config.env: cannot read /nonexistent/config.env (no such file); expected a file of KEY=value lines",
    );
    const file = join(data, "settings.env");
    writeFileSync(file, "REFLECTION_EVERY=-1\n", { mode: 0o600 });
    const bad = await runCli(["stats", "--config", file, "--data-dir", data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `REFLECTION_EVERY="-1" (from ${file}): expected a whole number of 1 or more`,
    );
    const imported = await runCli(["import", "/nonexistent.jsonl", "--data-dir", data]);
    expect(imported.code).toBe(2);
    expect(imported.stderr.trim()).toBe(
      "error: import: cannot read /nonexistent.jsonl (no such file); give a JSONL or JSON file written by `mcp-mitm-mem0 export`, or - for stdin",
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  applyWants,
  hookCommand,
  hookCommandParts,
  isOurMcpEntry,
  mcpEntryParts,
  mcpServerEntry,
  parseJsonObject,
  revertChanges,
  type SetupInputs,
  shellDoubleQuote,
  splitCommandLine,
} from "../../src/core/claude-setup.js";

describe("claude-setup (pure)", () => {
  it("names the line and column of a JSON error, and refuses a non-object", () => {
    expect(() => parseJsonObject('{\n  "a": 1,\n  "b": 2,\n}\n', "/x/settings.json")).toThrow(
      /^\/x\/settings\.json:4:1: not valid JSON/,
    );
    expect(() => parseJsonObject('{\n  "a": ', "/x/s.json")).toThrow(/^\/x\/s\.json:2:/);
    expect(() => parseJsonObject("[1]", "/x/s.json")).toThrow(/expected a JSON object .* an array/);
    expect(parseJsonObject("  \n", "/x/s.json")).toEqual({});
  });

  it("refuses to write into an entry of the wrong type instead of replacing it", () => {
    expect(() =>
      applyWants(
        { permissions: { allow: "all" } },
        [{ kind: "add", path: ["permissions", "allow"], item: "x" }],
        "/f",
      ),
    ).toThrow(/\/f: "permissions.allow" must be an array/);
  });

  it("replaces an older entry of ours instead of adding a second one, and takes changes back out", () => {
    const doc = { hooks: { E: [{ id: "theirs" }, { id: "ours-old" }] }, env: { A: "1" } };
    const { doc: next, changes } = applyWants(
      doc,
      [
        {
          kind: "add",
          path: ["hooks", "E"],
          item: { id: "ours-new" },
          same: (g) => (g as { id: string }).id.startsWith("ours"),
        },
        { kind: "set", path: ["env", "A"], value: "2" },
        { kind: "set", path: ["mcpServers", "m"], value: { c: 1 } },
      ],
      "/f",
    );
    expect(next).toEqual({
      hooks: { E: [{ id: "theirs" }, { id: "ours-new" }] },
      env: { A: "2" },
      mcpServers: { m: { c: 1 } },
    });
    expect(applyWants(next, [{ kind: "set", path: ["env", "A"], value: "2" }], "/f").changes).toEqual([]);
    // Someone changed env.A since: that stays; the rest goes back, and the mcpServers we created goes away.
    const edited = { ...next, env: { A: "3" }, other: true };
    expect(revertChanges(edited, changes, doc)).toEqual({
      hooks: { E: [{ id: "theirs" }, { id: "ours-old" }] },
      env: { A: "3" },
      other: true,
    });
  });

  it("quotes paths for a POSIX shell", () => {
    expect(shellDoubleQuote('/a b/$x/"q"')).toBe('"/a b/\\$x/\\"q\\""');
  });

  it("reads back what setup writes: the hook command's and the MCP entry's program, CLI and data directory", () => {
    const inputs = {
      nodePath: "/opt/node 20/bin/node",
      cliPath: "/home/me/src/mcp-mitm-mem0/dist/cli/main.js",
      globalArgs: ["--config", "/home/me/my env/.env"],
      env: { MEMORY_DATA_DIR: "/home/me/it's data", MITM_PORT: "8080" },
      serverName: "memory",
    } as unknown as SetupInputs;
    const parts = hookCommandParts(hookCommand(inputs, "UserPromptSubmit"), "UserPromptSubmit");
    expect(parts).toEqual({
      program: "/opt/node 20/bin/node",
      cliPath: "/home/me/src/mcp-mitm-mem0/dist/cli/main.js",
      dataDir: "/home/me/it's data",
      configFile: "/home/me/my env/.env",
      env: { MEMORY_DATA_DIR: "/home/me/it's data", MITM_PORT: "8080" },
    });
    expect(hookCommandParts(hookCommand(inputs, "UserPromptSubmit"), "SessionStart")).toBeNull();
    // The README's hand-written form, and the CLI on PATH.
    expect(
      hookCommandParts("node /abs/dist/cli/main.js --data-dir /d hook SessionStart", "SessionStart"),
    ).toMatchObject({ program: "node", cliPath: "/abs/dist/cli/main.js", dataDir: "/d" });
    expect(hookCommandParts("mcp-mitm-mem0 hook SessionStart", "SessionStart")).toMatchObject({
      program: "mcp-mitm-mem0",
      cliPath: null,
      dataDir: null,
    });
    // What a shell would expand or chain is not vouched for.
    for (const line of [
      'node "$(which x)" hook E',
      "node x hook E | tee log",
      "node x && y hook E",
      "node ~/x hook E",
    ]) {
      expect(splitCommandLine(line), line).toBeNull();
    }

    const entry = mcpServerEntry(inputs);
    expect(isOurMcpEntry(entry)).toBe(true);
    expect(mcpEntryParts(entry)).toMatchObject({
      program: "/opt/node 20/bin/node",
      cliPath: "/home/me/src/mcp-mitm-mem0/dist/cli/main.js",
      dataDir: "/home/me/it's data",
    });
    expect(isOurMcpEntry({ command: "mcp-mitm-mem0", args: ["mcp"] })).toBe(true);
    expect(isOurMcpEntry({ command: "npx", args: ["-y", "@other/memory-server"] })).toBe(false);
    expect(isOurMcpEntry({ type: "http", url: "http://127.0.0.1:8765/mcp" })).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { applyWants, parseJsonObject, revertChanges, shellDoubleQuote } from "../../src/core/claude-setup.js";

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
});

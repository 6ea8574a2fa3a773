import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDataDir } from "../support/cli.js";

/** The built CLI end to end: operations are audited as "cli", `audit` filters and prints them. */
describe("mcp-mitm-mem0 audit", () => {
  it("lists the CLI's operations without their texts, filters them, and forgets a user", async () => {
    const dataDir = tempDataDir("mmm-audit-cli-");
    const env = { MEMORY_DATA_DIR: dataDir };
    const cli = (...args: string[]) => runCli(args, { env });
    expect((await cli("add", "-u", "ann", "ann likes the blue teapot")).code).toBe(0);
    expect((await cli("add", "-u", "bob", "bob keeps the red kettle")).code).toBe(0);
    expect((await cli("search", "-u", "ann", "teapot")).code).toBe(0);
    expect((await cli("export", "-u", "ann")).code).toBe(0);

    const all = await cli("audit", "--json");
    expect(all.code).toBe(0);
    const records = all.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => [r.entry, r.op, r.user, r.count])).toEqual([
      ["cli", "add", "ann", 1],
      ["cli", "add", "bob", 1],
      ["cli", "search", "ann", 1],
      ["cli", "export", "ann", 1],
    ]);
    expect(all.stdout).not.toMatch(/teapot|kettle/);
    expect(statSync(join(dataDir, "audit.jsonl")).mode & 0o777).toBe(0o600);

    const searches = await cli("audit", "--op", "search", "--user", "ann");
    expect(searches.stdout.trim().split("\n")).toHaveLength(1);
    expect(searches.stdout).toMatch(/cli\s+search\s+1\s+user=ann/);
    expect((await cli("audit", "--since", "2999-01-01")).stderr).toMatch(/no audit lines match/);
    const bad = await cli("audit", "--op", "peek");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--op.*peek.*search/s);

    expect((await cli("forget", "-u", "ann", "--yes")).code).toBe(0);
    const after = (await cli("audit", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(after.filter((r) => r.user === "ann").map((r) => [r.entry, r.op, r.count])).toEqual([
      ["cli", "forget", 1],
    ]);
    expect(after.filter((r) => r.user === "bob")).toHaveLength(1);
  });
});

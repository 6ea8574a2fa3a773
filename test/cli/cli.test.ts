import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDataDir } from "../support/cli.js";

/** Commands that print data, so must offer --json. */
const LISTING_DATA = ["search", "list", "show", "history", "stats", "status", "analyze", "suggest"];

/** Command names from the "Commands:" section of the top-level help. */
function commandsIn(help: string): string[] {
  const section = help.slice(help.indexOf("Commands:"));
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1] ?? "").filter((c) => c !== "help");
}

describe("cli: help and usage", () => {
  it("has --help on the program and every command, and --json on every command that prints data", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    const commands = commandsIn(top.stdout);
    for (const c of ["add", "search", "list", "show", "update", "delete", "history", "forget"])
      expect(commands).toContain(c);
    for (const c of ["export", "import", "stats", "mcp", "analyze", "suggest", ...LISTING_DATA])
      expect(commands).toContain(c);
    for (const c of commands) {
      const r = await runCli([c, "--help"]);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(`Usage: mcp-mitm-mem0 ${c}`);
      expect(r.stdout, c).toContain("--data-dir");
      if (LISTING_DATA.includes(c)) expect(r.stdout, c).toContain("--json");
    }
  });

  it("exits 2 on bad usage with a message", async () => {
    const dir = tempDataDir();
    const unknown = await runCli(["frobnicate", "--data-dir", dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
    const badLimit = await runCli(["search", "x", "--limit", "0", "--data-dir", dir]);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain("--limit must be a whole number");
    const blank = await runCli(["search", "   ", "--data-dir", dir]);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain("search needs a non-empty query");
    const noText = await runCli(["update", "some-id", "--data-dir", dir]);
    expect(noText.code).toBe(2);
  });

  it("exits 2 and names the variable when configuration is invalid", async () => {
    const r = await runCli(["stats", "--data-dir", tempDataDir()], { env: { MITM_PORT: "eighty" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("MITM_PORT");
  });
});

describe("cli: memory round trip on a real SQLite file", () => {
  const dir = tempDataDir();
  const cli = (...args: string[]) => runCli([...args, "--data-dir", dir]);
  let id = "";

  beforeAll(async () => {
    const r = await cli(
      "add",
      "I prefer pnpm over npm for monorepos",
      "--project",
      "/home/dev/acme",
      "-c",
      "preferences",
    );
    expect(r.code).toBe(0);
    id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("finds, shows, updates, deletes and keeps history", async () => {
    const found = await cli("search", "which tool for monorepos?", "--json");
    expect(found.code).toBe(0);
    const hits = JSON.parse(found.stdout) as { id: string; app_id: string; score: number }[];
    expect(hits[0]?.id).toBe(id);
    expect(hits[0]?.app_id).toBe("/home/dev/acme");

    const dup = await cli("add", "I prefer  PNPM over npm for monorepos");
    expect(dup.code).toBe(0);
    expect(dup.stdout.trim()).toBe(id);
    expect(dup.stderr).toContain("already remembered");

    const shown = await cli("show", id, "--json");
    expect(JSON.parse(shown.stdout).categories).toEqual(["preferences"]);

    const upd = await cli("update", id, "--text", "I prefer pnpm everywhere");
    expect(upd.code).toBe(0);
    expect((await cli("show", id)).stdout).toContain("I prefer pnpm everywhere");

    expect((await cli("delete", id)).code).toBe(0);
    const gone = await cli("show", id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("not found");

    const hist = await cli("history", id, "--json");
    expect(hist.code).toBe(0);
    const events = JSON.parse(hist.stdout) as { event: string; new_memory: string | null }[];
    expect(events.map((e) => e.event)).toEqual(["ADD", "UPDATE", "DELETE"]);
    // Deleting erased the texts from the history too (docs/store.md).
    expect(events.every((e) => e.new_memory === null)).toBe(true);
  });

  it("never shows one user's memories to another", async () => {
    await cli("add", "alice's secret project codename is bluebird", "--user", "alice");
    const bob = await cli("search", "bluebird codename", "--user", "bob", "--json");
    expect(JSON.parse(bob.stdout)).toEqual([]);
    const alice = await cli("search", "bluebird codename", "--user", "alice", "--json");
    expect(JSON.parse(alice.stdout)).toHaveLength(1);
  });

  it("lists newest first across pages", async () => {
    for (const n of [1, 2, 3, 4, 5]) await cli("add", `paging note number ${n}`, "--user", "pager");
    const first = JSON.parse((await cli("list", "--user", "pager", "--limit", "2", "--json")).stdout);
    expect(first.memories).toHaveLength(2);
    expect(first.next_cursor).toBeTruthy();
    const all = JSON.parse((await cli("list", "--user", "pager", "--limit", "2", "--all", "--json")).stdout);
    expect(all.memories.map((m: { memory: string }) => m.memory)).toEqual(
      [5, 4, 3, 2, 1].map((n) => `paging note number ${n}`),
    );
    const stats = JSON.parse((await cli("stats", "--json")).stdout);
    expect(stats.memories).toBeGreaterThanOrEqual(6);
  });

  it("export → forget → import restores the same memories, and import is idempotent", async () => {
    for (const t of ["uses vitest for tests", "deploys with fly.io", "postgres 16 in prod"]) {
      await cli("add", t, "--user", "porter", "--session", "s-1");
    }
    const before = JSON.parse((await cli("list", "--user", "porter", "--all", "--json")).stdout).memories;
    const file = join(dir, "porter.jsonl");
    const exp = await cli("export", "--user", "porter", "--output", file);
    expect(exp.code).toBe(0);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(3);

    const refused = await cli("forget", "--user", "porter");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect((await cli("forget", "--user", "porter", "--yes")).code).toBe(0);
    expect(JSON.parse((await cli("list", "--user", "porter", "--json")).stdout).memories).toEqual([]);

    const imp = await cli("import", file);
    expect(imp.code).toBe(0);
    expect(imp.stderr).toContain("imported 3 memories");
    const after = JSON.parse((await cli("list", "--user", "porter", "--all", "--json")).stdout).memories;
    const pick = (ms: { id: string; memory: string; run_id: string; created_at: string }[]) =>
      ms.map(({ id, memory, run_id, created_at }) => ({ id, memory, run_id, created_at }));
    expect(pick(after)).toEqual(pick(before));

    const again = await cli("import", file);
    expect(again.stderr).toContain("imported 0 memories, 3 already present");

    // The JSON format round-trips too.
    const jsonFile = join(dir, "porter.json");
    await cli("export", "--user", "porter", "--format", "json", "--output", jsonFile);
    expect(JSON.parse(readFileSync(jsonFile, "utf8")).memories).toHaveLength(3);
    expect((await cli("import", jsonFile)).stderr).toContain("3 already present");
  });

  it("imports a copy as another user with --user, next to the original", async () => {
    for (const t of ["likes tabs", "likes dark mode"]) await cli("add", t, "--user", "original");
    const file = join(dir, "original.jsonl");
    expect((await cli("export", "--user", "original", "--output", file)).code).toBe(0);
    const copy = await cli("import", file, "--user", "copy");
    expect(copy.stderr).toContain("imported 2 memories, 0 already present");
    const copied = JSON.parse((await cli("list", "--user", "copy", "--json")).stdout).memories;
    expect(copied.map((m: { memory: string }) => m.memory).sort()).toEqual(["likes dark mode", "likes tabs"]);
    const originals = JSON.parse((await cli("list", "--user", "original", "--json")).stdout).memories;
    expect(originals).toHaveLength(2);
    const originalIds = new Set(originals.map((m: { id: string }) => m.id));
    for (const m of copied as { id: string }[]) expect(originalIds.has(m.id)).toBe(false);
    expect((await cli("import", file, "--user", "copy")).stderr).toContain(
      "imported 0 memories, 2 already present",
    );
  });

  it("exits 1 with one line, not a stack trace, when export cannot write its file", async () => {
    const r = await cli("export", "--output", join(dir, "no-such-dir", "out.jsonl"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: ENOENT: no such file or directory/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects a malformed import with the record number and keeps what was there", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, `${JSON.stringify({ memory: "good one", user_id: "imp" })}\n{"memory": 42}\n`);
    const r = await cli("import", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("record 2");
    const garbage = join(dir, "garbage.jsonl");
    writeFileSync(garbage, "this is not json\n");
    expect((await cli("import", garbage)).code).toBe(2);
    const nullRecord = join(dir, "null.jsonl");
    writeFileSync(nullRecord, "null\n");
    const rejected = await cli("import", nullRecord);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain("record 1");
  });
});

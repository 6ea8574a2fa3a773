import { beforeAll, describe, expect, it } from "vitest";
import { hasScript, runCli, runCliOnTty, tempDataDir } from "../support/cli.js";

const LATE_MATCH = `${"We went through the build output and the flaky browser tests for a long while. ".repeat(3)}In the end the ECONNREFUSED came from postgres not running on port 5432.`;

describe("cli: search and list output, ids by prefix", () => {
  const dir = tempDataDir();
  const cli = (...args: string[]) => runCli([...args, "--data-dir", dir]);
  let id = "";

  beforeAll(async () => {
    const r = await cli("add", LATE_MATCH);
    expect(r.code).toBe(0);
    id = r.stdout.trim();
    expect((await cli("add", "I prefer pnpm over npm")).code).toBe(0);
  });

  it("shows the part of a memory around the match, and the whole text with --full", async () => {
    const r = await cli("search", "postgres");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("postgres not running");
    expect(r.stdout).toContain("…");
    expect(r.stdout).not.toContain("\x1b[");
    const full = await cli("search", "postgres", "--full");
    expect(full.stdout).toContain(`    ${LATE_MATCH}`);
    const list = await cli("list", "--full");
    expect(list.stdout).toContain(`    ${LATE_MATCH}`);
  });

  it.skipIf(!hasScript())("marks the matched words on a terminal", async () => {
    const r = await runCliOnTty(["search", "postgres", "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.output).toContain("\x1b[1;33mpostgres\x1b[0m");
  });

  it("takes a unique id prefix wherever an id is taken, and says when a prefix is ambiguous or too short", async () => {
    const prefix = id.slice(0, 13);
    const shown = await cli("show", prefix, "--json");
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as { id: string }).id).toBe(id);
    const history = await cli("history", prefix, "--json");
    expect((JSON.parse(history.stdout) as { event: string }[])[0]?.event).toBe("ADD");
    const updated = await cli("update", prefix, "--category", "errors", "--json");
    expect((JSON.parse(updated.stdout) as { categories: string[] }).categories).toEqual(["errors"]);
    // Both ids are UUIDv7s made a moment apart: their first characters are the same.
    const ambiguous = await cli("show", id.slice(0, 4));
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`"${id.slice(0, 4)}" starts 2 ids`);
    const short = await cli("show", "01");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("too short for an id");
    const none = await cli("delete", "ffffffff");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('with an id starting "ffffffff" was not found');
    const deleted = await cli("delete", prefix);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain(`deleted ${id}`);
  });
});

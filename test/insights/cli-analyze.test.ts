import { Command, CommanderError } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerAnalyzeCommand, registerSuggestCommand } from "../../src/cli/commands/analyze.js";
import type { CliContext } from "../../src/cli/context.js";
import { silentLogger } from "../../src/core/logger.js";
import { FIXTURE_USER, idOf, loadFixtures } from "./fixtures/load-fixtures.js";
import { type TempStore, tempStore } from "./helpers.js";

/** The two commands on a program of their own, over a real store; stdout collected. */
function cli(t: TempStore) {
  const out: string[] = [];
  const ctx: CliContext = {
    config: () => t.config,
    envFile: () => null,
    logger: () => silentLogger,
    store: async () => t.store,
    out: (s) => out.push(s),
    err: () => undefined,
    outSecret: (s) => out.push(s),
  };
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerAnalyzeCommand(program, ctx);
  registerSuggestCommand(program, ctx);
  return {
    out,
    run: async (...args: string[]) => {
      out.length = 0;
      await program.parseAsync(["node", "mcp-mitm-mem0", ...args]);
      return out.join("\n");
    },
  };
}

describe("mcp-mitm-mem0 analyze / suggest", () => {
  let t: TempStore;
  beforeEach(() => {
    t = tempStore({ DEFAULT_USER_ID: FIXTURE_USER });
  });
  afterEach(async () => t.cleanup());

  it("says 'no memories yet' on an empty store", async () => {
    const c = cli(t);
    expect(await c.run("analyze")).toMatch(/^No memories yet for user dev@example.com, all projects/);
    expect(JSON.parse(await c.run("suggest", "--json"))).toMatchObject({ status: "empty", suggestions: [] });
  });

  it("prints the analysis as text or JSON, for the default user or one project", async () => {
    const f = await loadFixtures(t.store);
    const c = cli(t);
    const text = await c.run("analyze");
    expect(text).toMatch(
      /^Analysis of the 45 most recent memories .*: 45 captured turns; \d+ typed memories/,
    );
    for (const heading of ["Recurring problems:", "Stated preferences:", "Decisions:", "Unfinished work:"]) {
      expect(text).toContain(heading);
    }
    const data = JSON.parse(
      await c.run("analyze", "--project", "/home/dev/web-dashboard", "--limit", "5", "--json"),
    );
    expect(data.window).toMatchObject({ app_id: "/home/dev/web-dashboard", turns: 5 });
    const todo = data.insights.find((i: { kind: string }) => i.kind === "unfinished_work");
    expect(todo.title).toBe("add e2e tests for the checkout flow");
    expect(typeof data.reflection_id).toBe("string");

    const suggestions = JSON.parse(await c.run("suggest", "--json", "--user", FIXTURE_USER)).suggestions;
    expect(suggestions.length).toBeLessThanOrEqual(10);
    const fix = suggestions.find((s: { kind: string }) => s.kind === "document_fix");
    expect(fix.memory_ids).toContain(idOf(f, "fix-eaddrinuse"));
    expect(await c.run("suggest")).toMatch(
      /^Suggested next actions \(user dev@example.com, all projects\): Looked at 45 captured turns and \d+ typed memories derived from them\.\n1\. /,
    );
  });

  it("refuses a limit out of range before touching the store", async () => {
    const c = cli(t);
    await expect(c.run("analyze", "--limit", "0")).rejects.toBeInstanceOf(CommanderError);
    expect((await t.store.stats()).memories).toBe(0);
  });
});

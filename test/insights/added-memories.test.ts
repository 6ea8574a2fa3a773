/**
 * Analysis and suggestions over memories that were added (MCP `add_memory`,
 * CLI `add`) rather than captured: eight notes in which a preference, a
 * decision, a recurring error that was then fixed, and open work are planted.
 * Run in-process, through the official MCP SDK client over stdio against the
 * built binary, and through the built CLI.
 */
import { rmSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Insight, Suggestion } from "../../src/core/insights/types.js";
import { silentLogger } from "../../src/core/logger.js";
import { createInsights } from "../../src/insights/index.js";
import { cliPath, runCli, tempDataDir } from "../support/cli.js";
import { tempStore } from "./helpers.js";

/** What Claude (or a person) would write down over a week of work on one API. */
const NOTES = [
  "User prefers pnpm over npm for installing packages and running scripts.",
  "Decided to use PostgreSQL for the job queue instead of SQLite, because the workers need row-level locking.",
  "npm test failed: Error: connect ECONNREFUSED 127.0.0.1:5432 in the integration tests.",
  "The integration tests failed again with ECONNREFUSED 127.0.0.1:5432 after a clean checkout.",
  "Migrations in CI stopped with ECONNREFUSED 127.0.0.1:5432 as well.",
  "Fixed the ECONNREFUSED 127.0.0.1:5432 failures: Postgres was not running; the test setup now starts it with docker compose up -d db.",
  "Rate limiting for the public API is still not implemented.",
  "The API is deployed to Fly.io from the main branch.",
] as const;

interface AnalysisData {
  status: string;
  window: { turns: number; kinds: Record<string, number>; derived: number };
  insights: Insight[];
}

/** Every planted finding is there, citing the notes it rests on. */
function expectFindings(data: AnalysisData, text: string, ids: readonly string[]): void {
  expect(data.status).toBe("ok");
  expect(data.window.kinds).toEqual({ episode: 0, turn: 0, note: 8 });
  expect(data.window.derived).toBeGreaterThanOrEqual(5);
  expect(text).toMatch(/^Analysis of the 8 most recent memories .*: 8 notes \(added or imported\);/);
  expect(text).not.toMatch(/No memories yet|nothing to analyse/);
  const find = (kind: string, re: RegExp) => {
    const hit = data.insights.find((i) => i.kind === kind && re.test(i.title));
    expect(
      hit,
      `${kind} ${re}: ${JSON.stringify(data.insights.map((i) => [i.kind, i.title]))}`,
    ).toBeDefined();
    return hit as Insight;
  };
  const pref = find("preference", /^prefer pnpm over npm$/i);
  expect(pref.memory_ids).toContain(ids[0]);
  const decision = find("decision", /^use postgresql for job queue instead of sqlite$/);
  expect(decision.memory_ids).toContain(ids[1]);
  const problem = find("recurring_problem", /^ECONNREFUSED: <n>:<n>$/);
  expect(problem.counts).toMatchObject({ occurrences: 3, solved: 1, recurred_after_fix: 0 });
  expect(problem.memory_ids).toEqual(expect.arrayContaining([ids[2], ids[3], ids[4], ids[5]]));
  expect(problem.description).toMatch(/Solved \(confirmed\) by: postgres was not running/);
  const work = find("unfinished_work", /^rate limiting for the public api$/);
  expect(work.memory_ids).toContain(ids[6]);
  // The neutral fact yields nothing of its own.
  for (const i of data.insights.filter((x) => x.kind !== "topic" && x.kind !== "project_activity")) {
    expect(i.memory_ids).not.toEqual([expect.any(String), ids[7]]);
  }
}

function expectSuggestions(data: { suggestions: Suggestion[]; looked_at: unknown }, ids: readonly string[]) {
  expect(data.looked_at).toMatchObject({ kinds: { episode: 0, turn: 0, note: 8 } });
  const kinds = data.suggestions.map((s) => s.kind);
  expect(kinds).toContain("document_fix");
  expect(kinds).toContain("resume_work");
  const fix = data.suggestions.find((s) => s.kind === "document_fix") as Suggestion;
  expect(fix.memory_ids).toEqual(expect.arrayContaining([ids[2], ids[5]]));
  const resume = data.suggestions.find((s) => s.kind === "resume_work") as Suggestion;
  expect(resume.memory_ids).toContain(ids[6]);
}

describe("insights over added memories", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("finds every planted pattern in notes stored in-process (no categories, no session)", async () => {
    const t = tempStore({ DEFAULT_USER_ID: "ana" });
    cleanups.push(t.cleanup);
    const ids: string[] = [];
    for (const [n, memory] of NOTES.entries()) {
      const r = await t.store.add({
        user_id: "ana",
        memory,
        metadata: { source: "cli" },
        created_at: new Date(Date.UTC(2026, 10, 2 + n, 9)).toISOString(),
      });
      ids.push(r.memory?.id ?? "");
    }
    const { provider } = createInsights({ store: t.store, config: t.config, logger: silentLogger });
    const a = await provider.analyze({ user_id: "ana", limit: 20 });
    expectFindings(a.data as unknown as AnalysisData, a.text, ids);
    const s = await provider.suggest({ user_id: "ana" });
    expectSuggestions(s.data as never, ids);
    expect(s.text).toMatch(/Looked at 8 notes \(added or imported\) and \d+ typed memories/);
  });

  it("through the MCP SDK client over stdio: add_memory ×8, then analyze_conversations and suggest_next_actions", async () => {
    const dir = tempDataDir("insights-mcp-");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp", "--data-dir", dir],
      env: { HOME: dir, LOG_LEVEL: "warn", PATH: process.env.PATH ?? "" },
      cwd: dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "insights-test", version: "1.0.0" });
    await client.connect(transport);
    cleanups.unshift(() => client.close());
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      return r;
    };
    const ids: string[] = [];
    for (const text of NOTES) {
      const r = await call("add_memory", { text });
      const s = r.structuredContent as { status: string; memory: { id: string } };
      expect(s.status).toBe("created");
      ids.push(s.memory.id);
    }
    const analysis = await call("analyze_conversations", {});
    const a = analysis.structuredContent as { data: AnalysisData };
    const text = (analysis.content[0] as { text: string }).text;
    expectFindings(a.data, text, ids);
    const suggestion = await call("suggest_next_actions", {});
    expectSuggestions((suggestion.structuredContent as { data: never }).data, ids);
  });

  it("through the CLI: add ×8, then analyze and suggest (text and --json)", async () => {
    const dir = tempDataDir("insights-cli-");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const opts = { env: { LOG_LEVEL: "warn" }, cwd: dir };
    const ids: string[] = [];
    for (const text of NOTES) {
      const r = await runCli(["add", "--data-dir", dir, text], opts);
      expect(r.code, r.stderr).toBe(0);
      ids.push(r.stdout.trim());
    }
    const asText = await runCli(["analyze", "--data-dir", dir], opts);
    expect(asText.code, asText.stderr).toBe(0);
    const asJson = await runCli(["analyze", "--data-dir", dir, "--json"], opts);
    expectFindings(JSON.parse(asJson.stdout), asText.stdout, ids);
    const sug = await runCli(["suggest", "--data-dir", dir, "--json"], opts);
    expect(sug.code, sug.stderr).toBe(0);
    expectSuggestions(JSON.parse(sug.stdout), ids);
    const sugText = await runCli(["suggest", "--data-dir", dir], opts);
    expect(sugText.stdout).toMatch(/^Suggested next actions \(user [^)]*\): Looked at 8 notes/);
  });
});

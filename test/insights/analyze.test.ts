import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Insight, Suggestion } from "../../src/core/insights/types.js";
import { silentLogger } from "../../src/core/logger.js";
import { createInsights, type Insights } from "../../src/insights/index.js";
import { listNewest } from "../../src/insights/turn-reader.js";
import { FIXTURE_USER, idOf, type LoadedFixtures, loadFixtures } from "./fixtures/load-fixtures.js";
import { derivedOf, statementOf, type TempStore, tempStore } from "./helpers.js";

const NOW = new Date("2026-02-06T12:00:00.000Z");

function insightsOf(data: Record<string, unknown>, kind: Insight["kind"]): Insight[] {
  return (data.insights as Insight[]).filter((i) => i.kind === kind);
}

async function reflections(t: TempStore) {
  return listNewest(t.store, { user_id: FIXTURE_USER, categories: ["reflection"] }, 100);
}

describe("analyze and suggest on an empty store", () => {
  let t: TempStore;
  beforeEach(() => {
    t = tempStore();
  });
  afterEach(async () => t.cleanup());

  it("answers 'no memories yet' (not an error) and stores no reflection", async () => {
    const { provider } = createInsights({ store: t.store, config: t.config, logger: silentLogger });
    const a = await provider.analyze({ user_id: "nobody", limit: 20 });
    expect(a.text).toMatch(/^No memories yet for user nobody/);
    expect(a.data.status).toBe("empty");
    const s = await provider.suggest({ user_id: "nobody", app_id: "/home/dev/x" });
    expect(s.text).toMatch(/^No memories yet for user nobody, project x/);
    expect(s.data.suggestions).toEqual([]);
    expect((await t.store.stats()).memories).toBe(0);
  });

  it("rejects a bad limit or an empty user with InvalidInputError", async () => {
    const { provider } = createInsights({ store: t.store, config: t.config, logger: silentLogger });
    await expect(provider.analyze({ user_id: "u", limit: 0 })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(provider.analyze({ user_id: " ", limit: 5 })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});

describe("analyze on the fixture conversations", () => {
  let t: TempStore;
  let f: LoadedFixtures;
  let insights: Insights;

  beforeEach(async () => {
    t = tempStore();
    f = await loadFixtures(t.store);
    insights = createInsights({ store: t.store, config: t.config, logger: silentLogger, now: () => NOW });
  });
  afterEach(async () => t.cleanup());

  it("reports preferences and decisions with the memories they rest on, and the contradicted decision", async () => {
    const { data, text } = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    expect(data.status).toBe("ok");
    const prefs = insightsOf(data, "preference");
    expect(prefs).toHaveLength(6);
    const pnpm = prefs.find((p) => p.title === "Prefer pnpm over npm")!;
    const pnpmMemory = (await derivedOf(t.store, FIXTURE_USER, "preference")).find(
      (p) => statementOf(p) === "prefer pnpm over npm",
    )!;
    expect(pnpm.memory_ids).toEqual([pnpmMemory.id, idOf(f, "pref-pnpm-1"), idOf(f, "pref-pnpm-2")]);
    expect(pnpm.counts).toMatchObject({ mentions: 2, sessions: 2, projects: 2 });

    const decisions = insightsOf(data, "decision");
    expect(decisions).toHaveLength(4);
    const sqlite = decisions.find((d) => d.title === "use sqlite for job queue")!;
    expect(sqlite.counts.contradicted).toBe(1);
    expect(sqlite.description).toContain(
      'Later contradicted on 2026-01-21 by "use postgres for job queue instead of sqlite"',
    );
    expect(sqlite.memory_ids).toContain(idOf(f, "decision-sqlite"));
    expect(sqlite.memory_ids).toContain(idOf(f, "decision-postgres"));
    expect(decisions.filter((d) => d.counts.contradicted === 1)).toHaveLength(1);
    expect(text).toContain("Stated preferences:");
  });

  it("reports recurring problems and whether each was solved, citing the error turns", async () => {
    const { data } = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    const problems = insightsOf(data, "recurring_problem");
    const solved = Object.fromEntries(problems.map((p) => [p.title.split(":")[0], p.counts.solved]));
    expect(solved).toEqual({ EADDRINUSE: 1, ModuleNotFoundError: 1, SqliteError: 1, TS2322: 0 });
    const port = problems.find((p) => p.title.startsWith("EADDRINUSE"))!;
    expect(port.counts).toMatchObject({ occurrences: 3, sessions: 3, recurred_after_fix: 1 });
    for (const label of ["err-eaddrinuse-1", "err-eaddrinuse-2", "err-eaddrinuse-3", "fix-eaddrinuse"]) {
      expect(port.memory_ids).toContain(idOf(f, label));
    }
    expect(port.description).toContain("kill the stale dev server");
  });

  it("lists exactly the three open pieces of work, not the two finished ones", async () => {
    const { data } = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    const open = insightsOf(data, "unfinished_work");
    expect(open.map((o) => o.title).sort()).toEqual([
      "add e2e tests for the checkout flow",
      "add rate limiting to the login route",
      "handle the retry logic for the s3 uploads",
    ]);
    expect(open.find((o) => o.title.includes("rate limiting"))!.memory_ids).toContain(
      idOf(f, "todo-rate-limit"),
    );
    expect(open.find((o) => o.title.includes("s3 uploads"))!.memory_ids).toContain(idOf(f, "todo-retry-s3"));
  });

  it("finds the recent topics against the whole history, the shift, and per-project activity", async () => {
    const recent = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 12 });
    const topics = insightsOf(recent.data, "topic");
    // The last 12 turns are mostly the Polars port; the history before them is the job queue and the dashboard.
    expect(topics[0]?.title).toBe("polars");
    expect(topics.every((t) => t.counts.turns! >= 2)).toBe(true);
    expect(topics.map((t) => t.title)).not.toContain("job queue");
    const newest = await listNewest(t.store, { user_id: FIXTURE_USER, categories: ["conversation"] }, 12);
    const windowIds = new Set(newest.map((m) => m.id));
    expect(topics[0]!.memory_ids.filter((id) => windowIds.has(id)).length).toBe(topics[0]!.counts.turns);

    const whole = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    const shift = insightsOf(whole.data, "topic_shift");
    expect(shift).toHaveLength(1);
    expect(shift[0]!.title).toMatch(/ to .*polars/);
    const activity = insightsOf(whole.data, "project_activity");
    expect(Object.fromEntries(activity.map((a) => [a.title, a.counts.turns]))).toEqual({
      "acme-api": 22,
      "web-dashboard": 12,
      "ml-pipeline": 11,
    });
    expect(activity.find((a) => a.title === "ml-pipeline")!.app_id).toBe("/home/dev/ml-pipeline");
  });

  it("stores one reflection per scope: analysing twice updates it instead of adding another", async () => {
    const first = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 30 });
    const second = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    const stored = await reflections(t);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.id).toBe(first.data.reflection_id);
    expect(stored[0]!.id).toBe(second.data.reflection_id);
    expect(stored[0]!.memory).toBe(second.text);
    expect(stored[0]!.metadata).toMatchObject({ type: "reflection", scope: "user", turns: 45 });
    const events = (await t.store.history(stored[0]!.id)).map((e) => e.event);
    expect(events).toEqual(["ADD", "UPDATE"]);

    const project = await insights.provider.analyze({
      user_id: FIXTURE_USER,
      limit: 1000,
      app_id: "/home/dev/acme-api",
    });
    expect(insightsOf(project.data, "project_activity").map((a) => a.title)).toEqual(["acme-api"]);
    expect(insightsOf(project.data, "unfinished_work").map((u) => u.title)).toEqual([
      "add rate limiting to the login route",
    ]);
    const after = await reflections(t);
    expect(after).toHaveLength(2);
    expect(after.find((r) => r.id === project.data.reflection_id)!.app_id).toBe("/home/dev/acme-api");
    // The reflection is never read back as a conversation turn.
    const again = await insights.provider.analyze({ user_id: FIXTURE_USER, limit: 1000 });
    expect((again.data.window as { turns: number }).turns).toBe(45);
  });
});

describe("suggest on the fixture conversations", () => {
  let t: TempStore;
  let f: LoadedFixtures;
  beforeEach(async () => {
    t = tempStore();
    f = await loadFixtures(t.store);
  });
  afterEach(async () => t.cleanup());

  it("gives at most 10 concrete suggestions, each citing the memories it rests on", async () => {
    const { provider } = createInsights({
      store: t.store,
      config: t.config,
      logger: silentLogger,
      now: () => NOW,
    });
    const { data, text } = await provider.suggest({ user_id: FIXTURE_USER });
    const list = data.suggestions as Suggestion[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.length).toBeLessThanOrEqual(10);
    const kinds = new Set(list.map((s) => s.kind));
    expect([...kinds].sort()).toEqual([
      "document_fix",
      "follow_preference",
      "investigate_error",
      "resolve_contradiction",
      "resume_work",
    ]);
    const docFix = list.find((s) => s.kind === "document_fix" && s.action.includes("EADDRINUSE"))!;
    expect(docFix.memory_ids).toContain(idOf(f, "fix-eaddrinuse"));
    expect(docFix.action).toContain("kill the stale dev server");
    const contradiction = list.find((s) => s.kind === "resolve_contradiction")!;
    expect(contradiction.memory_ids).toEqual(
      expect.arrayContaining([idOf(f, "decision-sqlite"), idOf(f, "decision-postgres")]),
    );
    const investigate = list.find((s) => s.kind === "investigate_error")!;
    expect(investigate.action).toContain("TS2322");
    expect(investigate.memory_ids).toEqual(
      expect.arrayContaining([idOf(f, "err-ts2322-1"), idOf(f, "err-ts2322-2")]),
    );
    const resume = list.filter((s) => s.kind === "resume_work");
    expect(resume.length).toBeGreaterThan(0);
    for (const r of resume) expect(r.action).not.toMatch(/pagination|settings page/);
    const pnpm = list.find((s) => s.kind === "follow_preference" && s.action.includes("pnpm"))!;
    expect(pnpm.memory_ids).toEqual(expect.arrayContaining([idOf(f, "pref-pnpm-1"), idOf(f, "pref-pnpm-2")]));
    expect(text.split("\n").filter((l) => /^\d+\. /.test(l))).toHaveLength(list.length);

    const scoped = await provider.suggest({ user_id: FIXTURE_USER, app_id: "/home/dev/web-dashboard" });
    const scopedList = scoped.data.suggestions as Suggestion[];
    expect(scopedList.find((s) => s.kind === "resume_work")!.action).toContain(
      "e2e tests for the checkout flow",
    );
    expect(scopedList.some((s) => s.action.includes("EADDRINUSE"))).toBe(false);
  });
});

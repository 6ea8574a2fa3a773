/**
 * Session context in the real SQLite store: a memory is found through the
 * words of the memories around it in its session (same user and run_id).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AddInput } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { useTempDir } from "../store/temp-dir.js";

const at = (minute: number) => new Date(Date.UTC(2024, 2, 1, 10, minute)).toISOString();

function session(user: string, run: string | undefined, texts: string[], start = 0): AddInput[] {
  return texts.map((memory, i) => ({ user_id: user, run_id: run, memory, created_at: at(start + i) }));
}

const TALK = [
  "User: which test runner should the billing service use?",
  "Assistant: Vitest, it is already configured in the monorepo.",
  "User: ok, and the coverage threshold?",
  "Assistant: Keep it at 80 percent like the other packages.",
];

describe("search with session context", () => {
  const dir = useTempDir("search-context-");
  let store: SqliteMemoryStore;
  beforeEach(() => {
    store = SqliteMemoryStore.open(`${dir()}/memories.db`);
  });
  afterEach(async () => {
    await store.close();
  });

  it("finds a reply that lacks the query's words through the question before it", async () => {
    await store.addMany(session("dev", "s1", TALK));
    await store.addMany(session("dev", "s2", ["User: the billing invoices are due monthly"], 10));
    const results = await store.search("test runner for billing", { filters: { user_id: "dev" } });
    const texts = results.map((r) => r.memory);
    expect(texts).toContain(TALK[1]);
    // The reply ranks above the unrelated billing note, right after the question itself.
    expect(texts.indexOf(TALK[1]!)).toBeLessThan(texts.indexOf("User: the billing invoices are due monthly"));
    for (const r of results) expect(r.score > 0 && r.score <= 1).toBe(true);
  });

  it("does not borrow context across sessions, users, or for memories without a session", async () => {
    await store.addMany(session("dev", "s1", [TALK[0]!]));
    await store.addMany(session("dev", "s2", [TALK[1]!], 1));
    await store.addMany(session("dev", undefined, ["Assistant: it is already configured, nothing to do"], 2));
    await store.addMany(session("other", "s1", [TALK[1]!.replace("Vitest", "Jest")], 3));
    const texts = (await store.search("test runner for billing", { filters: { user_id: "dev" } })).map(
      (r) => r.memory,
    );
    expect(texts).toEqual([TALK[0]]);
  });

  it("uses session order by time, whatever order the memories were added in", async () => {
    const [q, a, q2, a2] = session("dev", "s1", TALK);
    await store.addMany([a2!, q2!, a!, q!]); // an import in reverse order
    const texts = (await store.search("test runner for billing", { filters: { user_id: "dev" } })).map(
      (r) => r.memory,
    );
    // The reply states the answer; the question, which ends by asking, comes right after it.
    expect(texts.slice(0, 2)).toEqual([TALK[1], TALK[0]]);
  });

  it("returns a neighbour only if it passes the filters", async () => {
    const inputs = session("dev", "s1", TALK).map((m, i) => ({
      ...m,
      categories: i === 1 ? ["answer"] : ["q"],
    }));
    await store.addMany(inputs);
    const all = await store.search("test runner for billing", { filters: { user_id: "dev" } });
    expect(all.map((r) => r.memory)).toContain(TALK[1]);
    const questions = await store.search("test runner for billing", {
      filters: { user_id: "dev", categories: ["q"] },
    });
    expect(questions.map((r) => r.memory)).not.toContain(TALK[1]);
    expect(questions.map((r) => r.memory)).toContain(TALK[0]);
    const answers = await store.search("test runner for billing", {
      filters: { user_id: "dev", categories: ["answer"] },
    });
    expect(answers.map((r) => r.memory)).toEqual([]);
  });

  it("returns every hit up to the limit, beyond those whose neighbours it reads", async () => {
    const notes = Array.from({ length: 300 }, (_, i) => `note ${i} about the flaky checkout test`);
    await store.addMany(notes.map((memory, i) => ({ user_id: "dev", run_id: `s${i % 7}`, memory })));
    const found = await store.search("flaky checkout", { filters: { user_id: "dev" }, limit: 300 });
    expect(new Set(found.map((r) => r.memory))).toEqual(new Set(notes));
  });

  it("keeps a limit and returns full memories with their metadata", async () => {
    await store.addMany(
      session("dev", "s1", TALK).map((m, i) => ({ ...m, metadata: { turn: i }, agent_id: "claude-code" })),
    );
    const [best, ...rest] = await store.search("test runner billing", {
      filters: { user_id: "dev" },
      limit: 1,
    });
    expect(rest).toEqual([]);
    expect(best).toMatchObject({
      memory: TALK[1],
      metadata: { turn: 1 },
      agent_id: "claude-code",
      run_id: "s1",
    });
    expect(best?.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

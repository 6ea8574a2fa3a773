import { describe, expect, it } from "vitest";
import type { AddInput, ScoredMemory } from "../../src/core/types.js";
import type { StoreHandle } from "./contract.js";
import { day, freshUser, HOSTILE_QUERIES, randomText } from "./contract-fixtures.js";

function expectRanked(results: ScoredMemory[]): void {
  for (const r of results) {
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThanOrEqual(1);
  }
  const scores = results.map((r) => r.score);
  expect(scores).toEqual([...scores].sort((x, y) => y - x));
}

const CORPUS = (user: string): AddInput[] => [
  { user_id: user, memory: "The team runs Postgres database migrations with Flyway", app_id: "shop" },
  { user_id: user, memory: "Postgres is the main database for the shop project", app_id: "shop" },
  { user_id: user, memory: "Prefers Vitest over Jest for TypeScript unit tests", app_id: "tools" },
  { user_id: user, memory: "Deploys the frontend to Cloudflare Pages every Friday", app_id: "web" },
  { user_id: user, memory: "Uses ripgrep and fd instead of grep and find", app_id: "tools" },
];

export function describeSearchContract(h: StoreHandle): void {
  describe("search", () => {
    it("finds memories by their words, best first, with scores in (0, 1]", async () => {
      const user = freshUser("rita");
      const added = await h.store.addMany(CORPUS(user));
      const results = await h.store.search("vitest", { filters: { user_id: user } });
      expect(results[0]?.id).toBe(added[2]?.memory?.id);
      expect(results[0]).toMatchObject({ memory: CORPUS(user)[2]?.memory, user_id: user });
      expectRanked(results);
    });

    it("ranks a memory with more of the query's words above one with fewer", async () => {
      const user = freshUser("sam");
      const added = await h.store.addMany(CORPUS(user));
      const results = await h.store.search("postgres migrations flyway", { filters: { user_id: user } });
      expect(results.map((r) => r.id).slice(0, 2)).toEqual([added[0]?.memory?.id, added[1]?.memory?.id]);
      expectRanked(results);
    });

    it("honours limit and threshold", async () => {
      const user = freshUser("tom");
      await h.store.addMany(CORPUS(user));
      const all = await h.store.search("postgres migrations flyway", { filters: { user_id: user } });
      expect(all.length).toBeGreaterThanOrEqual(2);
      expect(
        await h.store.search("postgres migrations flyway", { filters: { user_id: user }, limit: 1 }),
      ).toEqual(all.slice(0, 1));
      const [best, second] = all;
      expect(best!.score).toBeGreaterThan(second!.score);
      const threshold = (best!.score + second!.score) / 2;
      const above = await h.store.search("postgres migrations flyway", {
        filters: { user_id: user },
        threshold,
      });
      expect(above.map((r) => r.id)).toEqual([best!.id]);
    });

    it("filters by project, session, agent, categories, metadata and time", async () => {
      const user = freshUser("uma");
      const base = { user_id: user };
      const [a, b, c] = await h.store.addMany([
        {
          ...base,
          memory: "Cache invalidation uses Redis keys",
          app_id: "p1",
          run_id: "s1",
          agent_id: "claude-code",
          categories: ["infra"],
          metadata: { source: "proxy", turn: 3, pinned: true },
          created_at: day(1),
        },
        {
          ...base,
          memory: "Redis runs in Docker locally",
          app_id: "p2",
          run_id: "s2",
          agent_id: "cli",
          categories: ["dev", "docker"],
          metadata: { source: "cli", turn: 4, pinned: false },
          created_at: day(5),
        },
        { ...base, memory: "Redis cluster sizing notes", created_at: day(9) },
      ]);
      const ids = async (filters: Record<string, unknown>) =>
        (await h.store.search("redis", { filters: { ...base, ...filters } })).map((r) => r.id).sort();
      const id = (r: typeof a) => r!.memory!.id;
      expect(await ids({})).toEqual([id(a), id(b), id(c)].sort());
      expect(await ids({ app_id: "p1" })).toEqual([id(a)]);
      expect(await ids({ run_id: "s2" })).toEqual([id(b)]);
      expect(await ids({ agent_id: "cli" })).toEqual([id(b)]);
      expect(await ids({ categories: ["docker", "nope"] })).toEqual([id(b)]);
      expect(await ids({ categories: ["infra", "dev"] })).toEqual([id(a), id(b)].sort());
      expect(await ids({ metadata: { source: "proxy" } })).toEqual([id(a)]);
      expect(await ids({ metadata: { turn: 4 } })).toEqual([id(b)]);
      expect(await ids({ metadata: { pinned: true } })).toEqual([id(a)]);
      expect(await ids({ metadata: { source: "cli", turn: 3 } })).toEqual([]);
      expect(await ids({ created_after: day(5) })).toEqual([id(b), id(c)].sort());
      expect(await ids({ created_before: day(5) })).toEqual([id(a)]);
      expect(await ids({ created_after: day(2), created_before: day(9) })).toEqual([id(b)]);
    });

    it("answers hostile query strings with a list and never throws", async () => {
      const user = freshUser("vic");
      await h.store.addMany(CORPUS(user));
      await h.store.add({ user_id: freshUser("other"), memory: "postgres secrets of another user" });
      for (const query of [...HOSTILE_QUERIES, randomText(10_000)]) {
        const results = await h.store.search(query, { filters: { user_id: user } });
        expect(Array.isArray(results), JSON.stringify(query.slice(0, 40))).toBe(true);
        expect(results.every((r) => r.user_id === user)).toBe(true);
        expectRanked(results);
      }
    });

    it("treats operators and quotes in a query as plain words", async () => {
      const user = freshUser("wes");
      const added = await h.store.addMany(CORPUS(user));
      for (const query of ['"flyway', "flyway*", "memory:flyway", "^flyway", "NOT flyway", "(flyway"]) {
        const results = await h.store.search(query, { filters: { user_id: user } });
        expect(results[0]?.id, query).toBe(added[0]?.memory?.id);
      }
    });
  });
}

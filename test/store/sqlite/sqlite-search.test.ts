import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stem } from "../../../src/core/search/stem.js";
import { wordTokens } from "../../../src/core/search/text-tokens.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { TermStatistics } from "../../../src/store/sqlite/term-statistics.js";
import { HOSTILE } from "../hostile-queries.js";
import { useTempDir } from "../temp-dir.js";

describe("SqliteMemoryStore: search", () => {
  const dir = useTempDir();
  const shared = mkdtempSync(join(tmpdir(), "mem-search-"));
  const sharedPath = join(shared, "search.db");
  let store: SqliteMemoryStore;
  const filters = { user_id: "dev" };

  beforeAll(async () => {
    store = SqliteMemoryStore.open(sharedPath);
    await store.addMany([
      { user_id: "dev", memory: "The team runs Postgres migrations with Flyway before deploys" },
      { user_id: "dev", memory: "Café au lait every morning; naïve about espresso" },
      { user_id: "dev", memory: "To be or not to be is the question" },
      { user_id: "dev", memory: "Emoji 🔥 in commit messages are banned" },
      { user_id: "someone-else", memory: "Postgres passwords live in the vault" },
      { user_id: "someone-else", memory: "Straße names are hard to type" },
    ]);
  });
  afterAll(async () => {
    await store.close();
    rmSync(shared, { recursive: true, force: true });
  });

  it.each(HOSTILE)("answers %s with a list of the user's memories", async (_name, query) => {
    const results = await store.search(query, { filters });
    expect(Array.isArray(results)).toBe(true);
    // Syntax around a word is never syntax: the word is still searched for.
    if (wordTokens(query).includes("postgres")) expect(results[0]?.memory).toMatch(/Flyway/);
    for (const r of results) {
      expect(r.user_id).toBe("dev");
      expect(r.score > 0 && r.score <= 1).toBe(true);
    }
  });

  it("finds words through their stems and diacritics", async () => {
    const first = async (q: string) => (await store.search(q, { filters }))[0]?.memory;
    expect(await first("migrating deployed")).toMatch(/Flyway/);
    expect(await first("CAFE naive")).toMatch(/Café/);
    expect(await first("post\u0000gres")).toBeUndefined(); // split into "post" and "gres": neither is a word here
    expect(await first("🔥postgres🔥")).toMatch(/Flyway/);
  });

  it("searches stop words when the query has nothing else", async () => {
    const results = await store.search("to be or not to be", { filters });
    expect(results[0]?.memory).toBe("To be or not to be is the question");
  });

  it("returns nothing for an empty query", async () => {
    expect(await store.search("  ", { filters })).toEqual([]);
  });

  it("scores an exact match in a tiny store near 1, so a threshold keeps it", async () => {
    const tiny = SqliteMemoryStore.open(join(dir(), "tiny.db"));
    await tiny.add({ user_id: "u", memory: "Prefers Vitest" });
    await tiny.add({ user_id: "u", memory: "Lives in Berlin" });
    const [hit] = await tiny.search("vitest", { filters: { user_id: "u" }, threshold: 0.8 });
    expect(hit?.memory).toBe("Prefers Vitest");
    expect(hit!.score).toBeGreaterThan(0.8);
    await tiny.close();
  });

  it("counts how many memories hold a word even where the index stems it differently", () => {
    const db = new Database(sharedPath, { readonly: true });
    const stats = new TermStatistics(db);
    const size = stats.corpus();
    expect(size.docs).toBe(6);
    expect(size.avgTokens).toBeGreaterThan(3);
    const terms = ["postgres", "straße", "absent"].map((term) => ({ term, stem: stem(term) }));
    expect(stats.docsWith(terms, size.docs, 100)).toEqual([2, 1, 0]);
    db.close();
  });

  it("rejects a bad limit or threshold with INVALID_INPUT", async () => {
    for (const options of [
      { limit: 0 },
      { limit: 1.5 },
      { limit: 5000 },
      { threshold: 2 },
      { threshold: -1 },
    ]) {
      await expect(store.search("x", { filters, ...options })).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
    }
  });
});

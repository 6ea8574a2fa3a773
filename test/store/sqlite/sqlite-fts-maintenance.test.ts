import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { mergeDue, segmentPages } from "../../../src/store/sqlite/fts-maintenance.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { tempDataDir } from "../../support/cli.js";

/** Leaf pages per segment, counted from the index's own pages (not its structure record). */
function countedPages(db: Database.Database): number[] {
  return (
    db
      .prepare(
        // id = segment << 37 | doclist-index flag << 36 | height << 31 | page: leaves have 0 in bits 31-36.
        "SELECT count(*) FROM memories_fts_data WHERE id > 10 AND (id >> 31) % 64 = 0 GROUP BY id >> 37",
      )
      .pluck()
      .all() as number[]
  ).sort((a, b) => a - b);
}

const structureOf = (db: Database.Database) =>
  db.prepare("SELECT block FROM memories_fts_data WHERE id = 10").pluck().get() as Uint8Array;

const WORDS = ["kettle", "garden", "invoice", "deploy", "vitest", "docker", "schedule", "review", "cache"];
const memoryText = (i: number) =>
  `note ${i}: ${WORDS[i % 9]} ${WORDS[(i * 7) % 9]} and the ${WORDS[(i * 5 + 3) % 9]} item ${i % 97}`;

describe("full-text index maintenance", () => {
  it("decides to merge once the pages outside the largest segment reach 1/16 of it", () => {
    expect(mergeDue([])).toBe(false);
    expect(mergeDue([800])).toBe(false);
    expect(mergeDue([800, 49])).toBe(false);
    expect(mergeDue([800, 30, 20])).toBe(true);
    expect(mergeDue([30, 20])).toBe(false); // under 64 pages: too small to matter
    expect(segmentPages(undefined)).toEqual([]);
  });

  const dir = tempDataDir("mmm-ftsmerge-");
  const stores: SqliteMemoryStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  it("reads the segments from FTS5's structure record, and merges a store filled in batches", async () => {
    const path = join(dir, "merged.db");
    const store = SqliteMemoryStore.open(path);
    stores.push(store);
    const raw = new Database(path);
    // Written past the store (as by an older release): one transaction per 400 memories.
    const insert = raw.prepare(
      "INSERT INTO memories (id, user_id, run_id, memory, hash, created_at, updated_at) VALUES (?, 'u', ?, ?, ?, ?, ?)",
    );
    const write = raw.transaction((from: number) => {
      for (let i = from; i < from + 400; i++) {
        const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
        insert.run(`id-${i}`, `s-${Math.floor(i / 20)}`, memoryText(i), `h-${i}`, at, at);
      }
    });
    for (let from = 0; from < 12_000; from += 400) write(from);
    const spread = segmentPages(structureOf(raw));
    expect(spread.length).toBeGreaterThan(2);
    expect([...spread].sort((a, b) => a - b)).toEqual(countedPages(raw));
    expect(mergeDue(spread)).toBe(true);
    // The store's next write merges it into one segment.
    await store.addMany([{ user_id: "u", memory: "the kettle is descaled every second month" }]);
    const merged = segmentPages(structureOf(raw));
    expect(merged).toHaveLength(1);
    expect(merged).toEqual(countedPages(raw));
    expect(merged[0]).toBeGreaterThanOrEqual(spread.reduce((a, b) => a + b, 0) * 0.9);
    // A few more single writes: a small new segment each, not another merge.
    for (let i = 0; i < 3; i++)
      await store.add({ user_id: "u", memory: `one more note ${i} about the garden` });
    expect(segmentPages(structureOf(raw)).length).toBeGreaterThan(1);
    expect(mergeDue(segmentPages(structureOf(raw)))).toBe(false);
    raw.close();
  });

  it("searches a merged index exactly as the same memories spread over many segments", async () => {
    const spreadPath = join(dir, "spread.db");
    const mergedPath = join(dir, "merged-copy.db");
    for (const path of [spreadPath, mergedPath]) await SqliteMemoryStore.open(path).close();
    const fill = (path: string, batch: number) => {
      const db = new Database(path);
      const insert = db.prepare(
        "INSERT INTO memories (id, user_id, run_id, memory, hash, created_at, updated_at) VALUES (?, 'u', ?, ?, ?, ?, ?)",
      );
      const write = db.transaction((from: number) => {
        for (let i = from; i < Math.min(from + batch, 6000); i++) {
          const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
          insert.run(`id-${i}`, `s-${Math.floor(i / 20)}`, memoryText(i), `h-${i}`, at, at);
        }
      });
      for (let from = 0; from < 6000; from += batch) write(from);
      const pages = segmentPages(structureOf(db));
      db.close();
      return pages;
    };
    expect(fill(spreadPath, 150).length).toBeGreaterThan(3);
    fill(mergedPath, 6000);
    const merging = new Database(mergedPath);
    merging.exec("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')");
    expect(segmentPages(structureOf(merging))).toHaveLength(1);
    merging.close();
    const spread = SqliteMemoryStore.open(spreadPath, { readonly: true });
    const merged = SqliteMemoryStore.open(mergedPath, { readonly: true });
    stores.push(spread, merged);
    const queries = [
      "kettle",
      "garden invoice",
      "deploy vitest docker",
      "when is the schedule review",
      "cache item 42",
      "note 4711 kettle garden invoice deploy schedule",
    ];
    for (const query of queries) {
      const found = async (s: SqliteMemoryStore) =>
        (await s.search(query, { filters: { user_id: "u" }, limit: 10 })).map((m) => [m.id, m.score]);
      const fromSpread = await found(spread);
      expect(fromSpread.length, query).toBeGreaterThan(0);
      expect(await found(merged), query).toEqual(fromSpread);
    }
  });
});

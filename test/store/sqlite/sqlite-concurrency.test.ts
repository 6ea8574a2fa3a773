import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { ROOT, startWorker as startRun } from "../concurrent-writers.js";
import { useTempDir } from "../temp-dir.js";

// Built by `npm run build` (npm test) or by the vitest global setup when sources are newer.
const BUILT_STORE = join(ROOT, "dist", "store", "sqlite", "sqlite-store.js");
const WORKER = join(import.meta.dirname, "..", "fixtures", "concurrent-writer.mjs");
const startWorker = (target: string, tag: string, unique: number, shared: number) =>
  startRun(WORKER, BUILT_STORE, target, tag, unique, shared);

describe("SqliteMemoryStore: two processes writing at once", () => {
  const dir = useTempDir();

  it("keeps all 4,000 memories from two concurrent writers, with no error reaching either", async () => {
    expect(existsSync(BUILT_STORE), "run `npm run build` first").toBe(true);
    const dbPath = join(dir(), "shared", "memories.db");
    const workers = ["proxy", "mcp"].map((tag) => startWorker(dbPath, tag, 2000, 100));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin?.end("go\n");
    const results = await Promise.all(workers.map((w) => w.done));

    const summaries = results.map((r) => {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout.split("\n").filter(Boolean).at(-1)!);
    });
    for (const s of summaries) {
      expect(s.errors).toEqual([]);
      expect(s.unique).toEqual({ created: 2000, duplicate: 0 });
    }
    // The same 100 texts raced from both sides: each stored exactly once.
    expect(summaries.reduce((n, s) => n + s.shared.created, 0)).toBe(100);
    expect(summaries.reduce((n, s) => n + s.shared.duplicate, 0)).toBe(100);

    const store = SqliteMemoryStore.open(dbPath);
    try {
      const stats = await store.stats("shared-user");
      expect(stats.memories).toBe(4100);
      expect(stats.history_events).toBe(4100);
      for (const tag of ["proxy", "mcp"]) {
        const page = await store.list({ filters: { user_id: "shared-user", app_id: tag }, limit: 1000 });
        let total = page.memories.length;
        let cursor = page.next_cursor;
        while (cursor) {
          const next = await store.list({
            filters: { user_id: "shared-user", app_id: tag },
            limit: 1000,
            cursor,
          });
          total += next.memories.length;
          cursor = next.next_cursor;
        }
        expect(total).toBe(2000);
      }
      const hit = await store.search("mcp writes memory number 1999", {
        filters: { user_id: "shared-user" },
      });
      expect(hit[0]?.memory).toBe("mcp writes memory number 1999");
    } finally {
      await store.close();
    }
  });
});

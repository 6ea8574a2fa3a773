import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { PgMemoryStore } from "../../../src/store/postgres/pg-store.js";
import { describePostgres, freshSchema } from "../../support/postgres.js";
import { ROOT, startWorker as startRun } from "../concurrent-writers.js";

// Built by `npm run build` (npm test) or by the vitest global setup when sources are newer.
const BUILT_STORE = join(ROOT, "dist", "store", "postgres", "pg-store.js");
const WORKER = join(import.meta.dirname, "..", "fixtures", "pg-concurrent-writer.mjs");
const startWorker = (target: string, tag: string, unique: number, shared: number) =>
  startRun(WORKER, BUILT_STORE, target, tag, unique, shared);

describePostgres("PgMemoryStore: eight processes writing at once", () => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
    drop = undefined;
  });

  it("keeps every memory once: no loss, no duplicate, no error reaching a writer", async () => {
    expect(existsSync(BUILT_STORE), "run `npm run build` first").toBe(true);
    const db = await freshSchema();
    drop = db.drop;
    const tags = Array.from({ length: 8 }, (_, i) => `writer${i}`);
    // All eight open (and so migrate) the empty schema at once: the advisory lock serialises them.
    const workers = tags.map((tag) => startWorker(db.url, tag, 500, 100));
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
      expect(s.unique).toEqual({ created: 500, duplicate: 0 });
      expect(s.shared.created + s.shared.duplicate).toBe(100);
    }
    // The same 100 texts raced from all eight: each stored exactly once.
    expect(summaries.reduce((n, s) => n + s.shared.created, 0)).toBe(100);
    expect(summaries.reduce((n, s) => n + s.shared.duplicate, 0)).toBe(700);

    const store = await PgMemoryStore.open(db.url);
    try {
      const stats = await store.stats("shared-user");
      expect(stats.memories).toBe(8 * 500 + 100);
      expect(stats.history_events).toBe(8 * 500 + 100);
      for (const tag of tags) {
        let total = 0;
        let cursor: string | undefined;
        do {
          const page = await store.list({
            filters: { user_id: "shared-user", app_id: tag },
            limit: 200,
            cursor,
          });
          total += page.memories.length;
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        expect(total).toBe(500);
      }
      const hit = await store.search("writer7 writes memory number 499", {
        filters: { user_id: "shared-user" },
      });
      expect(hit[0]?.memory).toBe("writer7 writes memory number 499");
    } finally {
      await store.close();
    }
  });
});

import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { tempDataDir } from "../../support/cli.js";

/**
 * A long-lived read-only handle (the proxy's hook thread) caches term
 * statistics; after another connection wrote, dataVersion() tells, and
 * forgetCachedStatistics() makes it rank exactly as a newly opened handle.
 */
describe("SqliteMemoryStore: a long-lived reader after another connection wrote", () => {
  const path = join(tempDataDir("mmm-readercache-"), "memories.db");
  const stores: SqliteMemoryStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });
  const open = (readonly: boolean) => {
    const s = SqliteMemoryStore.open(path, { readonly, busyTimeoutMs: 200 });
    stores.push(s);
    return s;
  };
  const search = async (s: SqliteMemoryStore) =>
    (await s.search("kettle descaling schedule", { filters: { user_id: "u" }, limit: 5 })).map((m) => [
      m.id,
      m.score,
    ]);

  it("sees the change in data_version, and ranks as a fresh handle once it forgets", async () => {
    const writer = open(false);
    await writer.add({ user_id: "u", memory: "the kettle descaling schedule is every second month" });
    const filler = (i: number, word: string) => ({
      user_id: "u",
      memory: `note ${i} about the ${word} and more`,
    });
    await writer.addMany(Array.from({ length: 1000 }, (_, i) => filler(i, i % 2 ? "garden" : "office")));
    const reader = open(true);
    const before = reader.dataVersion();
    const first = await search(reader);
    expect(first.length).toBeGreaterThan(0);
    // 90 more memories with "schedule": within the cache's drift (10% of the index, at least 100),
    // so the handle keeps the old count for it, though it changed ninety-fold.
    await writer.addMany(Array.from({ length: 90 }, (_, i) => filler(5000 + i, "schedule")));
    expect(reader.dataVersion()).not.toBe(before);
    const stale = await search(reader);
    const fresh = await search(open(true));
    // The cached statistics really are stale (so this test can tell the difference)...
    expect(stale).not.toEqual(fresh);
    reader.forgetCachedStatistics();
    // ...and once forgotten, the long-lived handle ranks as a new one.
    expect(await search(reader)).toEqual(fresh);
  });
});

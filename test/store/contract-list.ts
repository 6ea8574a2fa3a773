import { describe, expect, it } from "vitest";
import type { Memory } from "../../src/core/types.js";
import type { StoreHandle } from "./contract.js";
import { day, freshUser } from "./contract-fixtures.js";

export function describeListContract(h: StoreHandle): void {
  describe("list", () => {
    it("lists newest first", async () => {
      const user = freshUser("xena");
      const added = await h.store.addMany(
        [3, 1, 4, 0, 2].map((d) => ({ user_id: user, memory: `fact from day ${d}`, created_at: day(d) })),
      );
      const page = await h.store.list({ filters: { user_id: user } });
      expect(page.memories.map((m) => m.memory)).toEqual([4, 3, 2, 1, 0].map((d) => `fact from day ${d}`));
      expect(page.memories.map((m) => m.created_at)).toEqual([4, 3, 2, 1, 0].map(day));
      expect(page.next_cursor).toBeNull();
      expect(added.every((r) => r.status === "created")).toBe(true);
    });

    it("pages with a cursor without gaps or repeats, even when memories arrive between pages", async () => {
      const user = freshUser("yuri");
      await h.store.addMany(
        Array.from({ length: 7 }, (_, i) => ({ user_id: user, memory: `note ${i}`, created_at: day(i) })),
      );
      const seen: Memory[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await h.store.list({ filters: { user_id: user }, limit: 3, cursor });
        seen.push(...page.memories);
        sizes.push(page.memories.length);
        if (guard === 0) await h.store.add({ user_id: user, memory: "arrived later", created_at: day(100) });
        if (page.next_cursor === null) break;
        cursor = page.next_cursor;
      }
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen.map((m) => m.memory)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `note ${i}`));
    });

    it("pages through memories that share one timestamp", async () => {
      const user = freshUser("zoe");
      await h.store.addMany(
        Array.from({ length: 5 }, (_, i) => ({
          user_id: user,
          memory: `same time ${i}`,
          created_at: day(1),
        })),
      );
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.store.list({ filters: { user_id: user }, limit: 2, cursor });
        ids.push(...page.memories.map((m) => m.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
    });

    it("filters like search does", async () => {
      const user = freshUser("abe");
      const [a, b] = await h.store.addMany([
        {
          user_id: user,
          memory: "first",
          app_id: "p1",
          run_id: "s1",
          categories: ["x"],
          metadata: { k: "v" },
          created_at: day(1),
        },
        {
          user_id: user,
          memory: "second",
          app_id: "p2",
          run_id: "s2",
          categories: ["y"],
          created_at: day(2),
        },
      ]);
      const ids = async (filters: Record<string, unknown>) =>
        (await h.store.list({ filters: { user_id: user, ...filters } })).memories.map((m) => m.id);
      expect(await ids({ app_id: "p1" })).toEqual([a?.memory?.id]);
      expect(await ids({ run_id: "s2" })).toEqual([b?.memory?.id]);
      expect(await ids({ categories: ["y"] })).toEqual([b?.memory?.id]);
      expect(await ids({ metadata: { k: "v" } })).toEqual([a?.memory?.id]);
      expect(await ids({ created_after: day(2) })).toEqual([b?.memory?.id]);
      expect(await ids({ created_before: day(2) })).toEqual([a?.memory?.id]);
      expect(await ids({ app_id: "nope" })).toEqual([]);
    });

    it("rejects a cursor it did not make", async () => {
      await expect(
        h.store.list({ filters: { user_id: freshUser("bea") }, cursor: "not-a-cursor" }),
      ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    });
  });
}

import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemoryStore } from "../../src/store/memory-store.js";
import { freshUser, idsOf, type StoreFactory } from "./contract-fixtures.js";
import { describeListContract } from "./contract-list.js";
import { describeSearchContract } from "./contract-search.js";

export type { StoreFactory } from "./contract-fixtures.js";

/** Gives each test a fresh store from `makeStore` and cleans it up afterwards. */
export interface StoreHandle {
  readonly store: MemoryStore;
}

function useStore(makeStore: StoreFactory): StoreHandle {
  let current: Awaited<ReturnType<StoreFactory>> | undefined;
  beforeEach(async () => {
    current = await makeStore();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get store() {
      if (!current) throw new Error("store used outside a test");
      return current.store;
    },
  };
}

/**
 * The behaviour every MemoryStore backend must have, through the interface only.
 * Scores are checked for range and order, never for exact values.
 */
export function describeStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`MemoryStore contract: ${name}`, () => {
    const h = useStore(makeStore);
    describeRoundTrips(h);
    describeUpdatesAndDeletes(h);
    describeScoping(h);
    describeSearchContract(h);
    describeListContract(h);
  });
}

function describeRoundTrips(h: StoreHandle): void {
  describe("add / get", () => {
    it("stores a memory with every field and get returns it", async () => {
      const user = freshUser("alice");
      const result = await h.store.add({
        user_id: user,
        memory: "Prefers pnpm over npm for monorepos",
        agent_id: "claude-code",
        app_id: "/home/alice/shop",
        run_id: "session-1",
        metadata: { source: "test", turns: 2, pinned: true },
        categories: ["tooling", "preferences"],
      });
      expect(result.status).toBe("created");
      const m = result.memory!;
      expect(m.id).toMatch(/\S/);
      expect(m).toMatchObject({
        memory: "Prefers pnpm over npm for monorepos",
        user_id: user,
        agent_id: "claude-code",
        app_id: "/home/alice/shop",
        run_id: "session-1",
        metadata: { source: "test", turns: 2, pinned: true },
      });
      expect([...m.categories].sort()).toEqual(["preferences", "tooling"]);
      expect(m.hash).toMatch(/^[0-9a-f]{32}$/);
      expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
      expect(Date.parse(m.updated_at)).toBeGreaterThanOrEqual(Date.parse(m.created_at));
      expect(await h.store.get(m.id)).toEqual(m);
      expect(await h.store.get(m.id, user)).toEqual(m);
      expect(await h.store.get(m.id, freshUser("mallory"))).toBeNull();
    });

    it("leaves unset optional fields empty", async () => {
      const { memory } = await h.store.add({ user_id: freshUser("bob"), memory: "Works in UTC+2" });
      expect(memory).toMatchObject({
        agent_id: null,
        app_id: null,
        run_id: null,
        metadata: {},
        categories: [],
      });
    });

    it("returns null for an unknown id", async () => {
      expect(await h.store.get(randomUUID())).toBeNull();
    });

    it("does not store the same text twice for one user, but does for another", async () => {
      const user = freshUser("carol");
      const first = await h.store.add({ user_id: user, memory: "Uses Vitest for unit tests" });
      const again = await h.store.add({ user_id: user, memory: "  uses   VITEST for\tunit tests " });
      expect(again.status).toBe("duplicate");
      expect(again.memory?.id).toBe(first.memory?.id);
      expect(await idsOf(h.store, user)).toEqual([first.memory?.id]);
      const other = await h.store.add({ user_id: freshUser("dave"), memory: "Uses Vitest for unit tests" });
      expect(other.status).toBe("created");
      expect(other.memory?.id).not.toBe(first.memory?.id);
    });

    it("addMany stores a batch in order, reports progress and flags duplicates", async () => {
      const user = freshUser("erin");
      const texts = ["Likes tabs", "Deploys on Fridays", "Uses Neovim", "Drinks tea", "likes TABS"];
      const progress: [number, number][] = [];
      const results = await h.store.addMany(
        texts.map((memory) => ({ user_id: user, memory })),
        (done, total) => progress.push([done, total]),
      );
      expect(results.map((r) => r.status)).toEqual(["created", "created", "created", "created", "duplicate"]);
      expect(results.map((r) => r.memory?.memory)).toEqual(texts.slice(0, 4).concat("Likes tabs"));
      expect(results[4]?.memory?.id).toBe(results[0]?.memory?.id);
      expect(progress.at(-1)).toEqual([5, 5]);
      expect((await idsOf(h.store, user)).sort()).toEqual(
        results
          .slice(0, 4)
          .map((r) => r.memory?.id)
          .sort(),
      );
    });

    it("rejects empty text and a missing user with INVALID_INPUT", async () => {
      await expect(h.store.add({ user_id: freshUser("f"), memory: "   " })).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
      await expect(h.store.add({ user_id: "", memory: "text" })).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
      await expect(h.store.search("x", { filters: { user_id: "" } })).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
    });
  });
}

function describeUpdatesAndDeletes(h: StoreHandle): void {
  describe("update / delete / history", () => {
    it("update changes the text and records old and new text", async () => {
      const user = freshUser("gina");
      const { memory } = await h.store.add({ user_id: user, memory: "Uses Python 3.10" });
      const updated = await h.store.update(memory!.id, { memory: "Uses Python 3.12" });
      expect(updated).toMatchObject({
        id: memory!.id,
        memory: "Uses Python 3.12",
        created_at: memory!.created_at,
      });
      expect(updated.hash).not.toBe(memory!.hash);
      expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(memory!.updated_at));
      expect(await h.store.get(memory!.id)).toEqual(updated);
      const history = await h.store.history(memory!.id);
      expect(history.map((e) => [e.event, e.old_memory, e.new_memory])).toEqual([
        ["ADD", null, "Uses Python 3.10"],
        ["UPDATE", "Uses Python 3.10", "Uses Python 3.12"],
      ]);
      expect(history.every((e) => e.memory_id === memory!.id && e.user_id === user)).toBe(true);
    });

    it("update replaces metadata and categories and keeps the text", async () => {
      const { memory } = await h.store.add({
        user_id: freshUser("hank"),
        memory: "Prefers dark mode",
        metadata: { a: 1 },
        categories: ["ui"],
      });
      const updated = await h.store.update(memory!.id, { metadata: { b: "two" }, categories: ["editor"] });
      expect(updated).toMatchObject({
        memory: "Prefers dark mode",
        metadata: { b: "two" },
        categories: ["editor"],
      });
      expect(await h.store.get(memory!.id)).toEqual(updated);
    });

    it("update, delete and history of unknown ids: NOT_FOUND, NOT_FOUND, empty", async () => {
      await expect(h.store.update(randomUUID(), { memory: "x" })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(h.store.delete(randomUUID())).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await h.store.history(randomUUID())).toEqual([]);
    });

    it("delete removes the memory and keeps its history of events", async () => {
      const user = freshUser("ivan");
      const { memory } = await h.store.add({ user_id: user, memory: "Has a cat named Lisp" });
      await h.store.delete(memory!.id);
      expect(await h.store.get(memory!.id)).toBeNull();
      expect(await idsOf(h.store, user)).toEqual([]);
      const history = await h.store.history(memory!.id);
      // Mem0 keeps the deleted text in its history; the SQLite store erases it (sqlite-secure-delete.test.ts).
      expect(history.map((e) => e.event)).toEqual(["ADD", "DELETE"]);
      expect(history[1]?.new_memory).toBeNull();
      expect([null, "Has a cat named Lisp"]).toContain(history[1]?.old_memory);
      await expect(h.store.delete(memory!.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("deleteAll in a project or session scope deletes only that scope and keeps history", async () => {
      const [a, b] = [freshUser("judy"), freshUser("ken")];
      const inX = await h.store.addMany([
        { user_id: a, memory: "X one", app_id: "proj-x", run_id: "r1" },
        { user_id: a, memory: "X two", app_id: "proj-x", run_id: "r2" },
      ]);
      const inY = await h.store.add({ user_id: a, memory: "Y one", app_id: "proj-y", run_id: "r1" });
      const bInX = await h.store.add({ user_id: b, memory: "X one", app_id: "proj-x" });
      expect(await h.store.deleteAll({ user_id: a, app_id: "proj-x" })).toBe(2);
      expect(await idsOf(h.store, a)).toEqual([inY.memory?.id]);
      expect(await idsOf(h.store, b)).toEqual([bInX.memory?.id]);
      const events = (await h.store.history(inX[0]!.memory!.id)).map((e) => e.event);
      expect(events).toEqual(["ADD", "DELETE"]);
      expect(await h.store.deleteAll({ user_id: a, run_id: "r1" })).toBe(1);
      expect(await idsOf(h.store, a)).toEqual([]);
    });

    it("deleteAll with only a user forgets the user: memories and history", async () => {
      const [a, b] = [freshUser("liz"), freshUser("mo")];
      const kept = await h.store.add({ user_id: a, memory: "Lives in Lisbon" });
      const gone = await h.store.add({ user_id: a, memory: "Old fact" });
      await h.store.update(kept.memory!.id, { memory: "Lives in Porto" });
      await h.store.delete(gone.memory!.id);
      const other = await h.store.add({ user_id: b, memory: "Lives in Lisbon" });
      expect(await h.store.deleteAll({ user_id: a })).toBe(1);
      expect(await idsOf(h.store, a)).toEqual([]);
      expect(await h.store.history(kept.memory!.id)).toEqual([]);
      expect(await h.store.history(gone.memory!.id)).toEqual([]);
      expect(await h.store.get(other.memory!.id)).not.toBeNull();
      expect((await h.store.history(other.memory!.id)).map((e) => e.event)).toEqual(["ADD"]);
    });
  });
}

function describeScoping(h: StoreHandle): void {
  describe("user scoping and stats", () => {
    it("a second user never sees the first user's memories", async () => {
      const [a, b] = [freshUser("nina"), freshUser("oscar")];
      const { memory } = await h.store.add({ user_id: a, memory: "Secret: prefers Kubernetes over Nomad" });
      expect(await h.store.search("kubernetes nomad", { filters: { user_id: b } })).toEqual([]);
      expect((await h.store.list({ filters: { user_id: b } })).memories).toEqual([]);
      expect(await h.store.get(memory!.id, b)).toBeNull();
      expect((await h.store.stats(b)).memories).toBe(0);
      const found = await h.store.search("kubernetes nomad", { filters: { user_id: a } });
      expect(found.map((m) => m.id)).toEqual([memory!.id]);
    });

    it("stats counts memories, users and history, per user when asked", async () => {
      const [a, b] = [freshUser("pat"), freshUser("quinn")];
      await h.store.addMany(["one", "two", "three"].map((memory) => ({ user_id: a, memory })));
      await h.store.addMany(["four", "five"].map((memory) => ({ user_id: b, memory })));
      const forA = await h.store.stats(a);
      expect(forA).toMatchObject({ backend: h.store.backend, memories: 3, users: 1 });
      expect(forA.history_events).toBe(3);
      expect(forA.oldest).not.toBeNull();
      const all = await h.store.stats();
      expect(all.memories).toBeGreaterThanOrEqual(5);
      expect(all.by_user).toEqual(
        expect.arrayContaining([
          { user_id: a, memories: 3 },
          { user_id: b, memories: 2 },
        ]),
      );
    });
  });
}

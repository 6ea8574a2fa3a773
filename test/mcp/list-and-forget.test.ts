import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataOf, errorTextOf, type Harness, openHarness, textOf } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

/** 25 memories with distinct, increasing creation times. */
async function seed(user = "default_user", n = 25) {
  const base = Date.parse("2025-03-01T00:00:00Z");
  await h.store.addMany(
    Array.from({ length: n }, (_, i) => ({
      user_id: user,
      memory: `note number ${i}`,
      created_at: new Date(base + i * 60_000).toISOString(),
    })),
  );
}

describe("list_memories", () => {
  it("pages newest first with a cursor until the end", async () => {
    await seed();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = dataOf(await h.call("list_memories", { limit: 10, ...(cursor && { cursor }) }));
      seen.push(...page.memories.map((m: { memory: string }) => m.memory));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `note number ${24 - i}`));
  });

  it("tells the model how to get the next page", async () => {
    await seed();
    const result = await h.call("list_memories", { limit: 5 });
    const next = dataOf(result).next_cursor;
    expect(next).toEqual(expect.any(String));
    expect(textOf(result)).toContain(`cursor "${next}"`);
  });

  it("caps the page size and rejects bad cursors", async () => {
    await seed();
    expect(errorTextOf(await h.call("list_memories", { limit: 101 }))).toMatch(/from 1 to 100/);
    expect(errorTextOf(await h.call("list_memories", { limit: 0 }))).toMatch(/from 1 to 100/);
    expect(errorTextOf(await h.call("list_memories", { cursor: "garbage" }))).toMatch(/cursor is not valid/i);
    expect(dataOf(await h.call("list_memories", {})).memories).toHaveLength(20);
  });

  it("filters by project and rejects an unknown user", async () => {
    await h.call("add_memory", { text: "in project a", app_id: "/a" });
    await h.call("add_memory", { text: "in project b", app_id: "/b" });
    const page = dataOf(await h.call("list_memories", { app_id: "/a" }));
    expect(page.memories.map((m: { memory: string }) => m.memory)).toEqual(["in project a"]);
    expect(errorTextOf(await h.call("list_memories", { user_id: "ghost" }))).toMatch(
      /No memories exist for user_id "ghost"/,
    );
  });

  it("keeps replies small for a user with 50,000 memories: one page, and a cursor that continues", async () => {
    await seed("default_user", 50_000);
    const replySize = (r: unknown) => Buffer.byteLength(JSON.stringify(r));
    const first = await h.call("list_memories", {});
    expect(dataOf(first).memories).toHaveLength(20);
    expect(dataOf(first).memories[0].memory).toBe("note number 49999");
    expect(replySize(first)).toBeLessThan(50_000);
    const largest = await h.call("list_memories", { limit: 100, cursor: dataOf(first).next_cursor });
    const page = dataOf(largest);
    expect(page.memories).toHaveLength(100);
    expect(page.memories[0].memory).toBe("note number 49979");
    expect(page.next_cursor).toEqual(expect.any(String));
    expect(replySize(largest)).toBeLessThan(200_000);
    const resource = await h.client.readResource({ uri: "memory://default_user" });
    expect(replySize(resource)).toBeLessThan(200_000);
    expect(JSON.stringify(resource)).toContain("Next page: memory://default_user?cursor=");
  });

  it("answers an empty default user normally (fresh install)", async () => {
    const result = await h.call("list_memories", {});
    expect(dataOf(result)).toEqual({ user_id: "default_user", memories: [], next_cursor: null });
  });
});

describe("delete_all_memories", () => {
  it("refuses without confirm: true", async () => {
    await seed("carol", 3);
    expect(errorTextOf(await h.call("delete_all_memories", { user_id: "carol" }))).toMatch(
      /confirm must be true/,
    );
    expect(errorTextOf(await h.call("delete_all_memories", { user_id: "carol", confirm: false }))).toMatch(
      /confirm must be true/,
    );
    expect(errorTextOf(await h.call("delete_all_memories", { user_id: "carol", confirm: "yes" }))).toMatch(
      /confirm must be true/,
    );
    expect(errorTextOf(await h.call("delete_all_memories", { confirm: true }))).toMatch(/user_id/);
    expect(dataOf(await h.call("list_memories", { user_id: "carol" })).memories).toHaveLength(3);
  });

  it("forgets exactly one user", async () => {
    await seed("carol", 3);
    await seed("dave", 2);
    const result = await h.call("delete_all_memories", { user_id: "carol", confirm: true });
    expect(dataOf(result)).toEqual({ user_id: "carol", deleted: 3 });
    expect(textOf(result)).toBe("Deleted 3 memories of user carol.");
    expect(errorTextOf(await h.call("list_memories", { user_id: "carol" }))).toMatch(/No memories exist/);
    expect(dataOf(await h.call("list_memories", { user_id: "dave" })).memories).toHaveLength(2);
  });

  it("rejects an unknown user", async () => {
    expect(errorTextOf(await h.call("delete_all_memories", { user_id: "nobody", confirm: true }))).toMatch(
      /No memories exist for user_id "nobody"/,
    );
  });
});

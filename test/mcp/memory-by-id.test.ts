import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataOf, errorTextOf, type Harness, openHarness, textOf } from "./harness.js";

let h: Harness;
let id: string;
beforeEach(async () => {
  h = await openHarness();
  id = dataOf(await h.call("add_memory", { text: "The CI runs on Node 20", metadata: { source: "ci.yml" } }))
    .memory.id;
});
afterEach(async () => {
  await h.close();
});

describe("get_memory", () => {
  it("reads one memory", async () => {
    const result = await h.call("get_memory", { memory_id: id });
    expect(dataOf(result).memory).toMatchObject({
      id,
      memory: "The CI runs on Node 20",
      metadata: { source: "ci.yml" },
    });
    expect(textOf(result)).toContain("The CI runs on Node 20");
  });

  it("answers an unknown id with an actionable error", async () => {
    const text = errorTextOf(
      await h.call("get_memory", { memory_id: "00000000-0000-0000-0000-000000000000" }),
    );
    expect(text).toMatch(/was not found/);
    expect(text).toMatch(/search_memories or list_memories/);
  });

  it("does not read another user's memory", async () => {
    const other = dataOf(await h.call("add_memory", { text: "Bob likes vim", user_id: "bob" })).memory.id;
    expect(errorTextOf(await h.call("get_memory", { memory_id: other }))).toMatch(
      /not found for user default_user/,
    );
    expect(dataOf(await h.call("get_memory", { memory_id: other, user_id: "bob" })).memory.memory).toBe(
      "Bob likes vim",
    );
  });

  it("rejects an empty id and a wrong type", async () => {
    expect(errorTextOf(await h.call("get_memory", { memory_id: "" }))).toMatch(/memory_id must not be empty/);
    expect(errorTextOf(await h.call("get_memory", { memory_id: 12 }))).toMatch(/memory_id/);
  });
});

describe("update_memory and memory_history", () => {
  it("updates the text and records the change in the history", async () => {
    const updated = dataOf(await h.call("update_memory", { memory_id: id, text: "The CI runs on Node 22" }));
    expect(updated.memory).toMatchObject({
      id,
      memory: "The CI runs on Node 22",
      metadata: { source: "ci.yml" },
    });
    const history = await h.call("memory_history", { memory_id: id });
    const events = dataOf(history).events;
    expect(events.map((e: { event: string }) => e.event)).toEqual(["ADD", "UPDATE"]);
    expect(events[1]).toMatchObject({
      old_memory: "The CI runs on Node 20",
      new_memory: "The CI runs on Node 22",
    });
    expect(textOf(history)).toContain("The CI runs on Node 20 → The CI runs on Node 22");
  });

  it("replaces metadata and categories without touching the text", async () => {
    const updated = dataOf(
      await h.call("update_memory", {
        memory_id: id,
        metadata: { source: "workflow" },
        categories: ["fact"],
      }),
    );
    expect(updated.memory).toMatchObject({
      memory: "The CI runs on Node 20",
      metadata: { source: "workflow" },
      categories: ["fact"],
    });
  });

  it("refuses an update with nothing to change, an unknown id, or another user's memory", async () => {
    expect(errorTextOf(await h.call("update_memory", { memory_id: id }))).toMatch(/at least one of `text`/);
    expect(errorTextOf(await h.call("update_memory", { memory_id: "missing", text: "x" }))).toMatch(
      /not found/,
    );
    const other = dataOf(await h.call("add_memory", { text: "Bob's secret plan", user_id: "bob" })).memory.id;
    expect(errorTextOf(await h.call("update_memory", { memory_id: other, text: "hijacked" }))).toMatch(
      /not found/,
    );
    expect(dataOf(await h.call("get_memory", { memory_id: other, user_id: "bob" })).memory.memory).toBe(
      "Bob's secret plan",
    );
  });

  it("rejects a metadata value that is not an object", async () => {
    expect(errorTextOf(await h.call("update_memory", { memory_id: id, metadata: "x" }))).toMatch(/metadata/);
  });
});

describe("delete_memory", () => {
  it("deletes, keeps the history, and then reports not found", async () => {
    const result = await h.call("delete_memory", { memory_id: id });
    expect(dataOf(result)).toEqual({ memory_id: id, deleted: true });
    expect(errorTextOf(await h.call("get_memory", { memory_id: id }))).toMatch(/not found/);
    const events = dataOf(await h.call("memory_history", { memory_id: id })).events;
    expect(events.map((e: { event: string }) => e.event)).toEqual(["ADD", "DELETE"]);
    expect(errorTextOf(await h.call("delete_memory", { memory_id: id }))).toMatch(/not found/);
  });

  it("does not delete another user's memory or show its history", async () => {
    const other = dataOf(await h.call("add_memory", { text: "Bob uses fish shell", user_id: "bob" })).memory
      .id;
    expect(errorTextOf(await h.call("delete_memory", { memory_id: other }))).toMatch(/not found/);
    expect(errorTextOf(await h.call("memory_history", { memory_id: other }))).toMatch(/not found/);
    expect(dataOf(await h.call("memory_history", { memory_id: other, user_id: "bob" })).events).toHaveLength(
      1,
    );
  });

  it("answers history of an unknown id with an error", async () => {
    expect(errorTextOf(await h.call("memory_history", { memory_id: "nope" }))).toMatch(/not found/);
  });
});

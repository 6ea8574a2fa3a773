import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import type { Memory } from "../../../src/core/types.js";
import {
  Mem0MemoryStore,
  type Mem0Settings,
  type Mem0StoreOptions,
} from "../../../src/store/mem0/mem0-store.js";
import { Mem0Stub, type Mem0StubOptions, type RecordedRequest } from "../../support/mem0-stub.js";

/** What goes over the wire, the asynchronous add, and the mapping back to our shapes. */

const KEY = "m0-wire-key";
const USER = "wire-user";
let stub: Mem0Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function setup(
  settings: Partial<Mem0Settings> = {},
  options: Mem0StoreOptions = {},
  stubOptions: Partial<Mem0StubOptions> = {},
) {
  stub = await Mem0Stub.start({ apiKey: KEY, ...stubOptions });
  const sleeps: number[] = [];
  let clock = 0;
  const store = new Mem0MemoryStore({ apiKey: KEY, baseUrl: stub.url, ...settings }, silentLogger, {
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    ...options,
  });
  return { stub, store, sleeps };
}

const bodyOf = (r: RecordedRequest | undefined) => r?.body as Record<string, unknown>;

describe("requests follow the Mem0 contract", () => {
  it("v3: add, search and list on /v3 paths, entity ids inside filters, our extras in metadata", async () => {
    const { stub, store } = await setup();
    await store.add({
      user_id: USER,
      memory: "Builds with Bazel",
      agent_id: "claude-code",
      app_id: "/src/app",
      run_id: "s-1",
      metadata: { source: "proxy" },
      categories: ["build"],
    });
    await store.search("bazel", { filters: { user_id: USER, app_id: "/src/app" }, limit: 5 });
    await store.list({ filters: { user_id: USER }, limit: 20 });

    const add = bodyOf(stub.served("POST", "/v3/memories/add/")[0]);
    expect(add).toEqual({
      messages: [{ role: "user", content: "Builds with Bazel" }],
      user_id: USER,
      infer: false,
      metadata: {
        source: "proxy",
        mmm_hash: expect.stringMatching(/^[0-9a-f]{32}$/),
        mmm_agent_id: "claude-code",
        mmm_app_id: "/src/app",
        mmm_run_id: "s-1",
        mmm_categories: ["build"],
      },
    });
    const search = bodyOf(stub.served("POST", "/v3/memories/search/")[0]);
    expect(search).toEqual({
      query: "bazel",
      top_k: 5,
      filters: { AND: [{ user_id: USER }, { metadata: { mmm_app_id: "/src/app" } }] },
    });
    const list = stub.served("POST", "/v3/memories/").at(-1);
    expect(list?.query).toEqual({ page: "1", page_size: "21" });
    expect(bodyOf(list)).toEqual({ filters: { AND: [{ user_id: USER }] } });
    expect(stub.requests.every((r) => r.path.endsWith("/"))).toBe(true);
    expect(stub.served("GET", "/v1/event/").length).toBeGreaterThanOrEqual(2);
  });

  it("v2: add on /v1/memories/ with version v2, search and list on /v2 paths", async () => {
    const { stub, store } = await setup({ apiVersion: "v2" });
    const { memory } = await store.add({ user_id: USER, memory: "Uses fish shell" });
    expect(memory?.memory).toBe("Uses fish shell");
    expect(bodyOf(stub.served("POST", "/v1/memories/")[0])).toMatchObject({
      version: "v2",
      output_format: "v1.1",
    });
    expect((await store.search("fish", { filters: { user_id: USER } })).map((m) => m.id)).toEqual([
      memory?.id,
    ]);
    expect(stub.served("POST", "/v2/memories/search/")).toHaveLength(1);
    expect(stub.served("POST", "/v3/")).toHaveLength(0);
  });

  it("sends the organisation and project ids when configured", async () => {
    const { stub, store } = await setup({ orgId: "org-9", projectId: "proj-4" });
    const { memory } = await store.add({ user_id: USER, memory: "Org scoped" });
    await store.get(memory!.id);
    expect(bodyOf(stub.served("POST", "/v3/memories/add/")[0])).toMatchObject({
      org_id: "org-9",
      project_id: "proj-4",
    });
    expect(stub.served("GET", "/v1/memories/")[0]?.query).toEqual({ org_id: "org-9", project_id: "proj-4" });
  });

  it("with MEM0_INFER the messages go to Mem0's extraction and no duplicate check is made", async () => {
    const { stub, store } = await setup({ infer: true });
    const result = await store.add({
      user_id: USER,
      memory: "summary",
      messages: [
        { role: "user", content: "I moved to Berlin" },
        { role: "assistant", content: "Noted." },
      ],
    });
    const add = bodyOf(stub.served("POST", "/v3/memories/add/")[0]);
    expect(add.infer).toBe(true);
    expect(add.messages).toEqual([
      { role: "user", content: "I moved to Berlin" },
      { role: "assistant", content: "Noted." },
    ]);
    expect(add.metadata).not.toHaveProperty("mmm_hash");
    expect(stub.served("POST").filter((r) => r.path === "/v3/memories/")).toHaveLength(0);
    expect(result.memory?.memory).toBe("I moved to Berlin");
  });
});

describe("asynchronous adds", () => {
  it("polls with bounded backoff and answers pending when Mem0 stays busy", async () => {
    const { stub, store, sleeps } = await setup({}, { addWaitMs: 5_000 });
    stub.state.holdEvents = true;
    const result = await store.add({ user_id: USER, memory: "Slow to process" });
    expect(result).toEqual({ status: "pending", memory: null, event_id: expect.any(String) });
    expect(sleeps).toEqual([200, 400, 800, 1600, 2000]);
    expect(stub.served("GET", `/v1/event/${result.event_id}/`)).toHaveLength(6);
    stub.state.holdEvents = false;
    stub.state.drain();
    expect((await store.list({ filters: { user_id: USER } })).memories.map((m) => m.memory)).toEqual([
      "Slow to process",
    ]);
  });

  it("does not poll when the caller does not wait", async () => {
    const { stub, store } = await setup({}, { waitForAdd: false });
    const result = await store.add({ user_id: USER, memory: "Fire and forget" });
    expect(result.status).toBe("pending");
    expect(stub.served("GET", "/v1/event/")).toHaveLength(0);
  });

  it("takes a finished answer without polling", async () => {
    const { stub, store } = await setup({}, {}, { addMode: "sync" });
    const result = await store.add({ user_id: USER, memory: "Done at once" });
    expect(result.status).toBe("created");
    expect(result.memory?.memory).toBe("Done at once");
    expect(stub.served("GET", "/v1/event/")).toHaveLength(0);
  });

  it("a FAILED event is an UPSTREAM_ERROR with Mem0's reason", async () => {
    const { stub, store } = await setup();
    stub.state.failEvents = 1;
    await expect(store.add({ user_id: USER, memory: "Will fail" })).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: "Mem0 could not store the memory: extraction failed (injected)",
    });
  });
});

describe("answers are normalised", () => {
  it("times become ISO-8601 UTC, Mem0's own fields do not leak into metadata", async () => {
    const { stub, store } = await setup();
    const { memory } = await store.add({
      user_id: USER,
      memory: "Timezone test",
      created_at: "2024-03-01T10:00:00Z",
    });
    const raw = stub.state.records.get(memory!.id);
    expect(raw?.metadata).toHaveProperty("mmm_hash");
    expect(memory).toMatchObject({
      created_at: "2024-03-01T10:00:00.000Z",
      metadata: {},
      agent_id: null,
      categories: [],
    });
  });

  it("lists newest first even when Mem0 answers oldest first", async () => {
    const { store } = await setup({}, {}, { listOrder: "oldest" });
    const day = (d: number) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString();
    await store.addMany(
      [2, 0, 3, 1, 4].map((d) => ({ user_id: USER, memory: `day ${d}`, created_at: day(d) })),
    );
    const seen: Memory[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ filters: { user_id: USER }, limit: 2, cursor });
      seen.push(...page.memories);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen.map((m) => m.memory)).toEqual(["day 4", "day 3", "day 2", "day 1", "day 0"]);
  });

  for (const listOrder of ["newest", "oldest"] as const) {
    it(`pages in exact order through memories created within one second (Mem0 lists ${listOrder} first)`, async () => {
      const { stub, store } = await setup({}, {}, { listOrder });
      const at = (ms: number) => new Date(Date.UTC(2024, 5, 1, 12, 0, 0) + ms).toISOString();
      const offsets = [10, 990, 500, 250, 750, 1200, 1100];
      await store.addMany(offsets.map((ms) => ({ user_id: USER, memory: `at ${ms}`, created_at: at(ms) })));
      // Mem0 itself keeps whole seconds: five of them share 12:00:00.
      expect(new Set([...stub.state.records.values()].map((r) => r.createdMs)).size).toBe(2);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ filters: { user_id: USER }, limit: 2, cursor });
        seen.push(...page.memories.map((m) => m.memory));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      const expected = [...offsets].sort((a, b) => b - a).map((ms) => `at ${ms}`);
      expect(seen).toEqual(expected);
      const one = await store.get(
        (await store.list({ filters: { user_id: USER }, limit: 1 })).memories[0]!.id,
      );
      expect(one?.created_at).toBe(at(1200));
    });
  }
});

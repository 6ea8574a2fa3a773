import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mem0Stub } from "../../support/mem0-stub.js";

/** The stand-in must refuse what the Mem0 Platform refuses, or the other tests prove nothing. */

const KEY = "m0-stub-key";
let stub: Mem0Stub;
beforeAll(async () => {
  stub = await Mem0Stub.start({ apiKey: KEY });
});
afterAll(async () => {
  await stub.close();
});

async function call(method: string, path: string, body?: unknown, auth: string | null = `Token ${KEY}`) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(stub.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
  });
  const text = await res.text();
  return { status: res.status, location: res.headers.get("location"), body: text ? JSON.parse(text) : null };
}

const search = (filters: unknown, extra: Record<string, unknown> = {}) =>
  call("POST", "/v3/memories/search/", { query: "q", filters, ...extra });

describe("Mem0 stub strictness", () => {
  it("refuses a missing or wrong Authorization: Token header", async () => {
    expect((await call("GET", "/v1/ping/", undefined, null)).status).toBe(401);
    expect((await call("GET", "/v1/ping/", undefined, `Bearer ${KEY}`)).status).toBe(401);
    expect((await call("GET", "/v1/ping/", undefined, "Token other")).status).toBe(401);
    expect(await call("GET", "/v1/ping/")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("needs the trailing slash: GET is redirected, POST is not found", async () => {
    expect(await call("GET", "/v1/ping")).toMatchObject({ status: 301, location: "/v1/ping/" });
    expect(
      (await call("POST", "/v3/memories/search", { query: "q", filters: { user_id: "u" } })).status,
    ).toBe(404);
  });

  it("refuses an add without an entity id, messages, or with unknown fields", async () => {
    const messages = [{ role: "user", content: "hi" }];
    expect((await call("POST", "/v3/memories/add/", { messages })).status).toBe(400);
    expect((await call("POST", "/v3/memories/add/", { user_id: "u", messages: [] })).status).toBe(400);
    expect((await call("POST", "/v3/memories/add/", { user_id: "", messages })).status).toBe(400);
    expect((await call("POST", "/v3/memories/add/", { user_id: "u", messages, colour: "red" })).status).toBe(
      400,
    );
    expect((await call("POST", "/v1/memories/", { user_id: "u", messages })).status).toBe(400); // no version: v2
    expect((await call("POST", "/v3/memories/add/", { user_id: "u", messages })).body).toMatchObject({
      status: "PENDING",
      event_id: expect.any(String),
    });
  });

  it("refuses top-level entity ids and filters without one on v3 search and list", async () => {
    expect((await search({ user_id: "u" }, { user_id: "u" })).status).toBe(400);
    expect((await search({ created_at: { gte: "2024-01-01" } })).status).toBe(400);
    expect(
      (await call("POST", "/v3/memories/?page=1&page_size=10", { filters: { metadata: { a: 1 } } })).status,
    ).toBe(400);
    expect(
      (await call("POST", "/v3/memories/?page=1&page_size=500", { filters: { user_id: "u" } })).status,
    ).toBe(400);
    expect((await search({ user_id: "u" })).status).toBe(200);
  });

  it("refuses malformed filters", async () => {
    for (const filters of [
      { AND: [] },
      { AND: { user_id: "u" } },
      { user_id: "u", created_at: { ">=": "2024-01-01" } },
      { user_id: "u", created_at: { gte: "yesterday" } },
      { user_id: "u", metadata: { a: { in: [1, 2] } } },
      { user_id: "u", metadata: { a: { gt: 1 } } },
      { user_id: "u", colour: "red" },
      { user_id: "" },
    ]) {
      expect((await search(filters)).status, JSON.stringify(filters)).toBe(400);
    }
  });

  it("scopes implicitly: a user filter skips agent-scoped records; user+agent writes are split", async () => {
    const messages = [
      { role: "user", content: "I like green tea" },
      { role: "assistant", content: "I will remember green tea" },
    ];
    const add = await call("POST", "/v3/memories/add/", {
      user_id: "split",
      agent_id: "bot",
      messages,
      infer: false,
    });
    expect(add.status).toBe(200);
    stub.state.drain();
    const texts = async (filters: unknown) =>
      (
        (await search(filters, { query: "green tea", threshold: 0 })).body.results as { memory: string }[]
      ).map((m) => m.memory);
    expect(await texts({ user_id: "split" })).toEqual(["I like green tea"]);
    expect(await texts({ AND: [{ user_id: "split" }, { agent_id: "bot" }] })).toEqual([]);
    expect(await texts({ agent_id: "bot" })).toEqual(["I will remember green tea"]);
    expect(await texts({ OR: [{ user_id: "split" }, { agent_id: "bot" }] })).toHaveLength(2);
  });
});

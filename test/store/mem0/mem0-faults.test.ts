import { afterEach, describe, expect, it } from "vitest";
import { createLogger, type Logger, silentLogger } from "../../../src/core/logger.js";
import { Mem0MemoryStore, type Mem0StoreOptions } from "../../../src/store/mem0/mem0-store.js";
import { Mem0Stub } from "../../support/mem0-stub.js";

const KEY = "m0-faults-SECRET-4f9c2a";
const USER = "fault-user";
const isSearch = (method: string, path: string) => method === "POST" && path === "/v3/memories/search/";
const isAdd = (method: string, path: string) => method === "POST" && path === "/v3/memories/add/";

let stub: Mem0Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** A store whose waits are recorded instead of slept, with a clock that only moves when it "sleeps". */
async function setup(
  opts: { key?: string; timeoutMs?: number; logger?: Logger; store?: Mem0StoreOptions } = {},
) {
  stub = await Mem0Stub.start({ apiKey: KEY });
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const store = new Mem0MemoryStore(
    { apiKey: opts.key ?? KEY, baseUrl: stub.url, timeoutMs: opts.timeoutMs ?? 10_000 },
    opts.logger ?? silentLogger,
    {
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
      random: () => 0.5,
      ...opts.store,
    },
  );
  return { stub, store, sleeps };
}

const statuses = (s: Mem0Stub, match: (m: string, p: string) => boolean) =>
  s.requests.filter((r) => match(r.method, r.path)).map((r) => r.status);

describe("Mem0 retries", () => {
  it("retries a 429 after exactly the Retry-After it was given", async () => {
    const { stub, store, sleeps } = await setup();
    await store.add({ user_id: USER, memory: "Prefers Rust for CLIs" });
    sleeps.length = 0;
    stub.fail({ kind: "status", status: 429, retryAfter: "3", match: isSearch });
    const results = await store.search("rust", { filters: { user_id: USER } });
    expect(results.map((r) => r.memory)).toEqual(["Prefers Rust for CLIs"]);
    expect(statuses(stub, isSearch)).toEqual([429, 200]);
    expect(sleeps).toEqual([3000]);
  });

  it("reads an HTTP-date Retry-After against its clock", async () => {
    const { stub, store, sleeps } = await setup();
    const at = new Date(1_000_000 + 7_000).toUTCString(); // the store's clock starts at 1 000 000 ms
    stub.fail({ kind: "status", status: 429, retryAfter: at, match: isSearch });
    await store.search("anything", { filters: { user_id: USER } });
    expect(statuses(stub, isSearch)).toEqual([429, 200]);
    expect(sleeps).toEqual([7000]);
  });

  it("backs off exponentially with jitter on 5xx, then succeeds", async () => {
    const { stub, store, sleeps } = await setup();
    stub.fail({ kind: "status", status: 500, times: 2, match: isSearch });
    stub.fail({ kind: "status", status: 503, times: 1, match: isSearch });
    expect(await store.search("x", { filters: { user_id: USER } })).toEqual([]);
    expect(statuses(stub, isSearch)).toEqual([500, 500, 503, 200]);
    // random() = 0.5 of min(8000, 500 * 2^retry)
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it("gives up after the last retry with UNAVAILABLE", async () => {
    const { stub, store, sleeps } = await setup();
    stub.fail({ kind: "status", status: 502, times: 100, match: isSearch });
    await expect(store.search("x", { filters: { user_id: USER } })).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringMatching(/HTTP 502.*5 attempts/),
    });
    expect(statuses(stub, isSearch)).toEqual([502, 502, 502, 502, 502]);
    expect(sleeps).toHaveLength(4);
  });

  it("does not wait for a Retry-After longer than a minute", async () => {
    const { stub, store, sleeps } = await setup();
    stub.fail({ kind: "status", status: 429, retryAfter: "3600", match: isSearch });
    await expect(store.search("x", { filters: { user_id: USER } })).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("3600 s"),
    });
    expect(statuses(stub, isSearch)).toEqual([429]);
    expect(sleeps).toEqual([]);
  });

  it("never retries other 4xx", async () => {
    const { stub, store, sleeps } = await setup();
    stub.fail({ kind: "status", status: 400, match: isSearch });
    await expect(store.search("x", { filters: { user_id: USER } })).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      message: expect.stringContaining("HTTP 400"),
    });
    stub.fail({ kind: "status", status: 422, match: isAdd });
    await expect(store.add({ user_id: USER, memory: "never stored" })).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
    });
    expect(statuses(stub, isSearch)).toEqual([400]);
    expect(statuses(stub, isAdd)).toEqual([422]);
    expect(sleeps).toEqual([]);
  });
});

describe("Mem0 errors", () => {
  it("maps 401 to AUTH_REJECTED without the key, and does not retry", async () => {
    const wrong = "m0-WRONG-key-77aa";
    const { stub, store } = await setup({ key: wrong });
    const err = await store.add({ user_id: USER, memory: "x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "AUTH_REJECTED", message: "MEM0_API_KEY was rejected (HTTP 401)" });
    expect(String((err as Error).message)).not.toContain(wrong);
    expect(stub.requests.map((r) => r.status)).toEqual([401]);
    await expect(store.ping()).rejects.toMatchObject({ code: "AUTH_REJECTED" });
  });

  it("ping reports the organisation and project of a good key", async () => {
    const { store } = await setup();
    expect(await store.ping()).toEqual({ orgId: "org-stub", projectId: "proj-stub" });
  });

  it("404 on an id: get is null, update and delete are NOT_FOUND", async () => {
    const { store } = await setup();
    const id = "6c0a3f5e-9d51-4c1e-8f5b-1a2b3c4d5e6f";
    expect(await store.get(id)).toBeNull();
    await expect(store.update(id, { memory: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(store.delete(id)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `memory ${id} was not found`,
    });
  });

  it("a request with no answer times out, and a read is retried", async () => {
    // The retry must answer within the same timeout: keep it generous for a loaded machine.
    const { stub, store } = await setup({ timeoutMs: 1_000 });
    stub.fail({ kind: "hang", match: isSearch });
    expect(await store.search("x", { filters: { user_id: USER } })).toEqual([]);
    expect(statuses(stub, isSearch)).toEqual(["hang", 200]);
  });

  it("an add with no answer is not resent: UPSTREAM_UNREACHABLE", async () => {
    const { stub, store } = await setup({ timeoutMs: 150 });
    stub.fail({ kind: "hang", match: isAdd });
    await expect(store.add({ user_id: USER, memory: "maybe stored" })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: "Mem0 unreachable (no answer within 150 ms)",
    });
    expect(statuses(stub, isAdd)).toEqual(["hang"]);
  });

  it("a reset connection: reads are retried, adds fail with UPSTREAM_UNREACHABLE", async () => {
    const { stub, store } = await setup();
    stub.fail({ kind: "reset", match: isSearch });
    expect(await store.search("x", { filters: { user_id: USER } })).toEqual([]);
    expect(statuses(stub, isSearch)).toEqual(["reset", 200]);
    stub.fail({ kind: "reset", match: isAdd });
    await expect(store.add({ user_id: USER, memory: "x" })).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: expect.stringMatching(/^Mem0 unreachable \(.+\)$/),
    });
  });

  it("Mem0 down: UPSTREAM_UNREACHABLE; back up: works again", async () => {
    const { stub, store } = await setup({ store: { retry: { maxRetries: 1 } } });
    await stub.down();
    await expect(store.ping()).rejects.toMatchObject({
      code: "UPSTREAM_UNREACHABLE",
      message: "Mem0 unreachable (ECONNREFUSED)",
    });
    await stub.up();
    expect((await store.add({ user_id: USER, memory: "after the outage" })).status).toBe("created");
  });
});

describe("the API key never reaches a log or an error", () => {
  it("stays out of debug logs through auth failures, retries, resets and outages", async () => {
    const lines: string[] = [];
    const logger = createLogger("debug", (line) => lines.push(line));
    const good = await setup({ logger, store: { retry: { maxRetries: 2 } } });
    good.stub.fail({ kind: "status", status: 429, retryAfter: "1", match: isSearch });
    good.stub.fail({ kind: "status", status: 500, times: 10, match: isAdd });
    good.stub.fail({ kind: "reset", times: 10, match: (m) => m === "GET" });
    const errors: unknown[] = [];
    await good.store.search("x", { filters: { user_id: USER } });
    errors.push(await good.store.add({ user_id: USER, memory: "x" }).catch((e: unknown) => e));
    errors.push(await good.store.get("6c0a3f5e-9d51-4c1e-8f5b-1a2b3c4d5e6f").catch((e: unknown) => e));
    await good.stub.down();
    errors.push(await good.store.ping().catch((e: unknown) => e));
    const bad = new Mem0MemoryStore({ apiKey: `${KEY}-x`, baseUrl: "http://127.0.0.1:9/" }, logger, {
      sleep: async () => {},
      retry: { maxRetries: 0 },
    });
    errors.push(await bad.ping().catch((e: unknown) => e));
    expect(lines.length).toBeGreaterThan(5);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    const everything = [
      ...lines,
      ...errors.map(
        (e) => `${(e as Error).message} ${String((e as Error).cause ?? "")} ${(e as Error).stack}`,
      ),
    ].join("\n");
    expect(everything).toContain("retrying");
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain("Token ");
  });
});

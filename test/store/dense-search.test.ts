/**
 * The optional dense signal end to end: the real SQLite store with sqlite-vec,
 * the real HTTP client, and a strict local stand-in for the embeddings
 * endpoint (deterministic vectors).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.js";
import { EmbeddingsError } from "../../src/core/search/embedder.js";
import { embeddingsEndpoint, OpenAiEmbedder } from "../../src/embeddings/openai-embedder.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { EmbeddingsStandIn } from "../support/embeddings-stand-in.js";
import { until } from "../support/until.js";
import { useTempDir } from "./temp-dir.js";

const MODEL = "stand-in-embed";
const KEY = "sk-test-embeddings-key";
// "automobile" and "car" are one concept to the stand-in, and so are "vehicle", "sedan".
const CONCEPTS = { automobile: "car", car: "car", vehicle: "car", sedan: "car" };

let standIn: EmbeddingsStandIn;
beforeAll(async () => {
  standIn = new EmbeddingsStandIn({ model: MODEL, apiKey: KEY, concepts: CONCEPTS });
  await standIn.start();
});
afterAll(() => standIn.stop());
afterEach(() => {
  standIn.fault = null;
  standIn.requests.length = 0;
});

const embedder = (opts: { model?: string; apiKey?: string; timeoutMs?: number } = {}) =>
  new OpenAiEmbedder({
    url: standIn.url,
    model: opts.model ?? MODEL,
    apiKey: opts.apiKey ?? KEY,
    timeoutMs: opts.timeoutMs,
  });

describe("OpenAiEmbedder", () => {
  it("accepts a base URL, a /v1 URL or the full endpoint", () => {
    expect(embeddingsEndpoint("http://127.0.0.1:11434")).toBe("http://127.0.0.1:11434/v1/embeddings");
    expect(embeddingsEndpoint("http://127.0.0.1:11434/v1/")).toBe("http://127.0.0.1:11434/v1/embeddings");
    expect(embeddingsEndpoint("http://h/v1/embeddings")).toBe("http://h/v1/embeddings");
  });

  it("returns one vector per text, in the order asked, whatever order the answer has", async () => {
    const [a, b] = await embedder().embed(["my car broke", "tea with milk"]);
    expect(Array.from(a!)).toEqual(standIn.vector("my car broke").map((x) => Math.fround(x)));
    expect(Array.from(b!)).toEqual(standIn.vector("tea with milk").map((x) => Math.fround(x)));
  });

  it("fails with EmbeddingsError on a wrong key, an unknown model, a 500, a wrong count and a timeout", async () => {
    await expect(embedder({ apiKey: "sk-wrong-key-0000" }).embed(["x"])).rejects.toThrow(/HTTP 401/);
    await expect(embedder({ model: "nope" }).embed(["x"])).rejects.toThrow(/HTTP 404/);
    standIn.fault = { kind: "status", status: 500 };
    await expect(embedder().embed(["x"])).rejects.toBeInstanceOf(EmbeddingsError);
    standIn.fault = { kind: "wrong-count" };
    await expect(embedder().embed(["x", "y"])).rejects.toThrow(/1 vectors for 2 texts/);
    standIn.fault = { kind: "hang" };
    await expect(embedder({ timeoutMs: 200 }).embed(["x"])).rejects.toThrow(/timed out/);
  });

  it("does not put the key in its error messages", async () => {
    standIn.fault = { kind: "status", status: 503 };
    const error = await embedder()
      .embed(["x"])
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toContain(KEY);
  });
});

describe("SqliteMemoryStore with an embeddings endpoint", () => {
  const dir = useTempDir("dense-");
  const open = (opts: { retryAfterMs?: number } = {}) =>
    SqliteMemoryStore.open(`${dir()}/m.db`, {
      logger: silentLogger,
      embeddings: {
        embedder: embedder(),
        queryTimeoutMs: 500,
        retryAfterMs: opts.retryAfterMs ?? 60_000,
        weight: 0.5,
      },
    });
  const memories = [
    "I finally sold my old sedan last week",
    "The team meets on Thursdays to plan the release",
    "We picked PostgreSQL 16 for the new service",
    "Grandma's recipe needs two cups of flour",
  ];

  it("backfills vectors with progress, then finds by meaning what shares no word with the query", async () => {
    const store = open();
    try {
      for (const memory of memories) await store.add({ user_id: "u", memory });
      expect(await store.vectorIndexStatus()).toEqual({ model: MODEL, indexed: 0, pending: 4 });
      // Nothing was embedded on the write path.
      expect(standIn.requests).toHaveLength(0);
      const progress: [number, number][] = [];
      expect(await store.backfillVectors((done, total) => progress.push([done, total]))).toBe(4);
      expect(progress[0]).toEqual([0, 4]);
      expect(progress.at(-1)).toEqual([4, 4]);
      expect(await store.vectorIndexStatus()).toEqual({ model: MODEL, indexed: 4, pending: 0 });

      const lexicalOnly = SqliteMemoryStore.open(`${dir()}/m.db`, { logger: silentLogger });
      expect(await lexicalOnly.search("automobile", { filters: { user_id: "u" } })).toEqual([]);
      await lexicalOnly.close();

      const found = await store.search("automobile", { filters: { user_id: "u" } });
      expect(found[0]?.memory).toBe(memories[0]);
      for (const r of found) expect(r.score > 0 && r.score <= 1).toBe(true);
      // Filters hold for the dense side too.
      expect(await store.search("automobile", { filters: { user_id: "someone-else" } })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("embeds an edited memory again and forgets a deleted one", async () => {
    const store = open();
    try {
      const [a, b] = await store.addMany(memories.slice(0, 3).map((memory) => ({ user_id: "u", memory })));
      await store.backfillVectors();
      await store.update(a!.memory!.id, { memory: "My vehicle needs new tyres" });
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 2, pending: 1 });
      await store.delete(b!.memory!.id);
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 1, pending: 1 });
      await store.backfillVectors();
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 2, pending: 0 });
      expect((await store.search("automobile", { filters: { user_id: "u" } }))[0]?.memory).toBe(
        "My vehicle needs new tyres",
      );
    } finally {
      await store.close();
    }
  });

  it("searches lexically when the endpoint is down, and leaves it alone for a while", async () => {
    const store = open();
    try {
      await store.addMany(memories.map((memory) => ({ user_id: "u", memory })));
      await store.backfillVectors();
      standIn.fault = { kind: "status", status: 503 };
      standIn.requests.length = 0;
      const first = await store.search("PostgreSQL release", { filters: { user_id: "u" } });
      expect(first.map((r) => r.memory)).toEqual(expect.arrayContaining([memories[1], memories[2]]));
      expect(await store.search("automobile", { filters: { user_id: "u" } })).toEqual([]);
      // One attempt for the first search; the second one did not wait for the endpoint.
      expect(standIn.requests).toHaveLength(1);
      standIn.fault = { kind: "hang" };
      const hungStore = open({ retryAfterMs: 0 });
      const found = await hungStore.search("flour", { filters: { user_id: "u" } });
      expect(found[0]?.memory).toBe(memories[3]);
      await hungStore.close();
    } finally {
      await store.close();
    }
  });

  it("keeps a backfill's work when the endpoint fails half way", async () => {
    const store = open();
    try {
      await store.addMany(
        Array.from({ length: 40 }, (_, i) => ({ user_id: "u", memory: `note number ${i}` })),
      );
      const failing = store.backfillVectors((done) => {
        if (done >= 32) standIn.fault = { kind: "status", status: 500 };
      });
      await expect(failing).rejects.toBeInstanceOf(EmbeddingsError);
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 32, pending: 8 });
    } finally {
      await store.close();
    }
  });

  it("embeds new memories in the background once indexing is started", async () => {
    const store = open();
    try {
      store.startVectorIndexing();
      await store.add({ user_id: "u", memory: memories[0]! });
      await until(async () => (await store.vectorIndexStatus())?.pending === 0, "the background indexer");
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 1 });
    } finally {
      await store.close();
    }
  });
});

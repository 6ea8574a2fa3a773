import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/core/config.js";
import { MemoryError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { describeError } from "../../src/mcp/tool-errors.js";
import { Mem0MemoryStore } from "../../src/store/mem0/mem0-store.js";
import { connectClient, dataOf, errorTextOf, type Harness, openHarness } from "./harness.js";

let h: Harness | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await h?.close();
  await cleanup?.();
  h = undefined;
  cleanup = undefined;
});

describe("store failures", () => {
  it("says the store is unavailable when the database is locked, and loses nothing", async () => {
    h = await openHarness({ busyTimeoutMs: 50 });
    await h.call("add_memory", { text: "kept before the lock" });
    const other = new Database(join(h.dir, "memories.db"));
    other.exec("BEGIN EXCLUSIVE");
    try {
      const text = errorTextOf(await h.call("add_memory", { text: "written during the lock" }));
      expect(text).toMatch(/^The memory store is unavailable: .*locked/);
      expect(text).toMatch(/Retry in a moment/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // After the lock: the earlier memory is intact and the retry succeeds.
    expect(dataOf(await h.call("add_memory", { text: "written during the lock" })).status).toBe("created");
    expect(dataOf(await h.call("list_memories", {})).memories).toHaveLength(2);
  });

  it("says the store is unavailable once it is closed", async () => {
    h = await openHarness();
    await h.store.close();
    for (const [tool, args] of [
      ["search_memories", { query: "anything" }],
      ["add_memory", { text: "x" }],
      ["list_memories", {}],
    ] as const) {
      expect(errorTextOf(await h.call(tool, args))).toMatch(
        /The memory store is unavailable: The memory store is closed/,
      );
    }
    await expect(h.client.readResource({ uri: "memory://recent" })).rejects.toThrow(
      /memory store is unavailable/,
    );
  });
});

/** A Mem0 Platform stand-in that knows one key and rejects every other, as the platform does. */
async function mem0RejectingKeys(): Promise<Server> {
  const server = createServer((req, res) => {
    const ok = req.headers.authorization === "Token the-right-key";
    res.writeHead(ok ? 501 : 401, { "content-type": "application/json" });
    res.end(JSON.stringify({ detail: ok ? "not part of this stand-in" : "Invalid API key" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("Mem0 backend failures", () => {
  const config = validateConfig({ MEMORY_DATA_DIR: "/nonexistent" }, "/nonexistent");

  it("says Mem0 cannot be reached when nothing listens", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const store = new Mem0MemoryStore({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}` }, silentLogger, {
      retry: { maxRetries: 0 },
    });
    const { client, server } = await connectClient(store, config);
    cleanup = async () => {
      await client.close();
      await server.close();
    };
    const result = await client.callTool({ name: "search_memories", arguments: { query: "deploy" } });
    expect(errorTextOf(result as never)).toMatch(/^The Mem0 Platform cannot be reached: Mem0 unreachable/);
  });

  it("says the key was rejected and that retrying will not help", async () => {
    const mem0 = await mem0RejectingKeys();
    const port = (mem0.address() as AddressInfo).port;
    const store = new Mem0MemoryStore(
      { apiKey: "a-wrong-key", baseUrl: `http://127.0.0.1:${port}` },
      silentLogger,
      {
        retry: { maxRetries: 0 },
      },
    );
    const { client, server } = await connectClient(store, config);
    cleanup = async () => {
      await client.close();
      await server.close();
      await new Promise<void>((resolve) => mem0.close(() => resolve()));
    };
    const result = await client.callTool({ name: "search_memories", arguments: { query: "deploy" } });
    const text = errorTextOf(result as never);
    expect(text).toMatch(/rejected its credentials/);
    expect(text).toMatch(/MEM0_API_KEY/);
    expect(text).not.toContain("a-wrong-key");
  });
});

describe("describeError", () => {
  it("gives every error code an actionable sentence and never a stack", () => {
    const codes = [
      "NOT_FOUND",
      "INVALID_INPUT",
      "CONFIG_INVALID",
      "STORE_UNAVAILABLE",
      "SCHEMA_TOO_NEW",
      "AUTH_REJECTED",
      "UPSTREAM_UNREACHABLE",
      "UPSTREAM_ERROR",
      "CONFLICT",
      "UNAVAILABLE",
    ] as const;
    for (const code of codes) {
      const text = describeError(new MemoryError(code, "something happened"));
      expect(text).toContain("Something happened.");
      expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    }
    const unexpected = describeError(new TypeError("x is not a function"));
    expect(unexpected).toBe(
      "Unexpected error: X is not a function. Retry once; if it fails again, tell the user.",
    );
  });
});

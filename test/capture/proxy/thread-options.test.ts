import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BroadcastChannel, type ResourceLimits, Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { OUTBOX_CACHE_KIB, Outbox } from "../../../src/capture/pipeline/outbox.js";
import {
  CAPTURE_STORE_CACHE_KIB,
  CAPTURE_THREAD_LIMITS,
  captureThreadOptions,
} from "../../../src/capture/proxy/thread-options.js";
import { validateConfig } from "../../../src/core/config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { openStore } from "../../../src/store/open-store.js";
import { DEFAULT_CACHE_KIB, openDatabase } from "../../../src/store/sqlite/open-database.js";
import { type Harness, startHarness } from "../support/harness.js";

/**
 * A stand-in thread entry: reports the V8 limits it was started with on the BroadcastChannel named
 * in its workerData, and answers the capture chain's `stop` and the journal writer's `close` as the
 * real capture thread does (what was spooled is then moved in on the proxy's thread).
 */
const reporter = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { BroadcastChannel, parentPort, resourceLimits, workerData } from "node:worker_threads";
const ch = new BroadcastChannel(workerData.channel);
ch.postMessage(resourceLimits);
ch.close();
parentPort?.on("message", (m) => { if (m && m.type === "stop") parentPort.postMessage({ type: "stopped" }); });
const mover = workerData.journal?.port;
mover?.on("message", (m) => { if (m.type === "close") { mover.postMessage({ type: "closed" }); mover.close(); } });
`)}`,
);

function limitsReported(channel: string, start: () => unknown): Promise<ResourceLimits> {
  const ch = new BroadcastChannel(channel);
  return new Promise<ResourceLimits>((resolve) => {
    ch.onmessage = (e) => {
      ch.close();
      resolve((e as MessageEvent).data as ResourceLimits);
    };
    start();
  });
}

let h: Harness | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mmm-thread-options-"));
  dirs.push(d);
  return d;
}

describe("the proxy's background threads", () => {
  it("the capture thread is started with its V8 limits, not V8's defaults", async () => {
    const limits = await limitsReported("capture-limits", async () => {
      h = await startHarness({
        proxy: {
          captureThread: { entry: reporter, workerData: { channel: "capture-limits" } },
        },
      });
    });
    expect(limits).toMatchObject(CAPTURE_THREAD_LIMITS);
  });

  it.each([["capture", captureThreadOptions, CAPTURE_THREAD_LIMITS]] as const)(
    "the %s thread's options are limits a Worker applies (every key known to Node)",
    async (name, options, expected) => {
      const channel = `limits-${name}`;
      let thread: Worker | null = null;
      const limits = await limitsReported(channel, () => {
        thread = new Worker(reporter, options({ channel }));
      });
      await (thread as Worker | null)?.terminate();
      expect(limits).toMatchObject(expected);
      // Each one smaller than what the thread would get without it.
      const defaults = await limitsReported(`${channel}-defaults`, () => {
        thread = new Worker(reporter, { workerData: { channel: `${channel}-defaults` } });
      });
      await (thread as Worker | null)?.terminate();
      for (const [key, mb] of Object.entries(expected))
        expect(mb).toBeLessThan(defaults[key as keyof ResourceLimits] as number);
    },
  );
});

describe("SQLite page caches", () => {
  const cacheKib = (db: Database.Database) => -(db.pragma("cache_size", { simple: true }) as number);

  it("a store connection has 16 MiB by default, and what it is opened with otherwise", () => {
    const dir = tempDir();
    const plain = openDatabase(join(dir, "a.db")).db;
    const small = openDatabase(join(dir, "b.db"), { cacheKib: CAPTURE_STORE_CACHE_KIB }).db;
    expect(cacheKib(plain)).toBe(DEFAULT_CACHE_KIB);
    expect(cacheKib(small)).toBe(CAPTURE_STORE_CACHE_KIB);
    expect(CAPTURE_STORE_CACHE_KIB).toBeLessThan(DEFAULT_CACHE_KIB);
    plain.close();
    small.close();
  });

  it("openStore passes the cache size on to the embedded store (the capture thread's connection)", async () => {
    const dir = tempDir();
    const config = validateConfig({ MEMORY_DATA_DIR: dir }, dir);
    const store = await openStore(config, silentLogger, { sqliteCacheKib: CAPTURE_STORE_CACHE_KIB });
    expect(cacheKib((store as unknown as { db: Database.Database }).db)).toBe(CAPTURE_STORE_CACHE_KIB);
    await store.close();
  });

  it("outbox.db and journal.db connections use the outbox's small cache, written or read-only", () => {
    const dir = tempDir();
    for (const readonly of [false, true]) {
      const outbox = Outbox.open(join(dir, "outbox.db"), { readonly });
      const { db, jdb } = outbox as unknown as { db: Database.Database; jdb: Database.Database };
      expect([cacheKib(db), cacheKib(jdb)]).toEqual([OUTBOX_CACHE_KIB, OUTBOX_CACHE_KIB]);
      outbox.close();
    }
  });
});

/**
 * Child process: the capture proxy exactly as `start` runs it (real SQLite
 * store and outbox in a temp data dir), so that the bench can read its RSS.
 * Args: <dataDir> <upstreamUrl> <upstreamCaFile> <interceptHost> [extra config as JSON]
 * Prints `{"port":N,"caPath":...}`; a `stats` line on stdin is answered with
 * `{"stats":...}` (the counters as `status` reads them, capture's backlog,
 * this process's RSS), a `memory` line with `{"memory":...}` (each thread's V8 heap and the
 * resident memory by kind, bench/proxy/thread-memory.ts); on SIGTERM closes and prints its stats.
 */
import { join } from "node:path";
import { startProxy } from "../../src/capture/proxy/proxy-server.js";
import { validateConfig } from "../../src/core/config.js";
import { createLogger } from "../../src/core/logger.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { allThreadsMemory, residentByKind } from "./thread-memory.js";

const [dataDir, upstreamUrl, caFile, interceptHost, extra] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];
const config = validateConfig(
  {
    MEMORY_DATA_DIR: dataDir,
    MITM_PORT: "0",
    UPSTREAM_URL: upstreamUrl,
    UPSTREAM_CA_FILE: caFile,
    INTERCEPT_HOSTS: interceptHost,
    LOG_LEVEL: "warn",
    ...(JSON.parse(extra ?? "{}") as Record<string, string>),
  },
  dataDir,
);
const logger = createLogger("warn");
const store = SqliteMemoryStore.open(join(dataDir, "memories.db"), { logger });
// As `start` runs it: capture (and the journal mover) on its own thread, with its own store
// connection. The entry is the real one, wrapped only to answer the `memory` line's asks.
const proxy = await startProxy({
  config,
  store,
  logger,
  captureThread: {
    entry: new URL("./capture-worker-probed.js", import.meta.url),
    workerData: { config },
  },
});
process.stdout.write(`${JSON.stringify({ port: proxy.port, caPath: proxy.caPath })}\n`);
let stdinBuf = "";
let replies: Promise<void> = Promise.resolve();
process.stdin.setEncoding("utf8").on("data", (d: string) => {
  stdinBuf += d;
  let nl = stdinBuf.indexOf("\n");
  while (nl !== -1) {
    const line = stdinBuf.slice(0, nl).trim();
    stdinBuf = stdinBuf.slice(nl + 1);
    if (line === "stats") {
      // Answered in order: one line per request, with the capture figures read just now.
      replies = replies.then(async () => {
        const stats = await proxy.freshStats();
        process.stdout.write(`${JSON.stringify({ stats, rssMb: process.memoryUsage.rss() / 2 ** 20 })}\n`);
      });
    } else if (line === "memory") {
      replies = replies.then(async () => {
        const threads = await allThreadsMemory(1);
        process.stdout.write(
          `${JSON.stringify({ memory: { threads, resident: residentByKind(process.pid) } })}\n`,
        );
      });
    }
    nl = stdinBuf.indexOf("\n");
  }
});
process.on("SIGTERM", () => {
  void proxy.close().then(async () => {
    process.stdout.write(`${JSON.stringify({ stats: proxy.stats() })}\n`);
    await store.close();
    process.exit(0);
  });
});

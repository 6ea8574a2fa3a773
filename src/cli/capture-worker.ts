/**
 * The capture thread's entry (`start` runs it with `worker_threads`): opens
 * its own connection to the configured store and runs capture there, so the
 * proxy's thread only forwards bytes and journals finished exchanges.
 */
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { runCaptureWorker } from "../capture/pipeline/capture-worker-loop.js";
import { CAPTURE_STORE_CACHE_KIB } from "../capture/proxy/thread-options.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { openStore } from "../store/open-store.js";
import { reflectionHook } from "./reflection-hook.js";

const { config } = workerData as { config: Config };
const port = parentPort;
// Lines go to the proxy's thread on the same port as "stopped", so none is lost when the thread
// ends (a worker's own stderr is flushed asynchronously and may be cut off by terminate()).
const logger = createLogger(
  config.logLevel,
  port ? (line) => port.postMessage({ type: "log", line }) : undefined,
  { component: "capture" },
);
/**
 * Capture yields the CPU to forwarding: this thread runs CAPTURE_NICE steps nicer than the rest of
 * the process. Linux only, where a thread's nice value is its own (setpriority with 0 is the
 * calling thread); elsewhere it would lower the whole process, forwarding included. Capture then
 * uses what forwarding leaves: under a flood its backlog grows (durable, in the journal) and it
 * catches up once traffic eases.
 */
const CAPTURE_NICE = 10;
if (process.platform === "linux") {
  try {
    setPriority(0, Math.min(19, getPriority(0) + CAPTURE_NICE));
  } catch {
    // not allowed here: capture runs at the process's own priority
  }
}
if (port) {
  // Its own connection, which writes: a smaller page cache than the searching connections' (thread-options.ts).
  openStore(config, logger, { sqliteCacheKib: CAPTURE_STORE_CACHE_KIB }).then(
    (store) =>
      runCaptureWorker({
        config,
        store,
        logger,
        port,
        onMemoriesStored: reflectionHook(store, config, logger),
      }),
    (e: unknown) => {
      logger.error("the capture thread could not open the store; exchanges stay journaled", {
        code: (e as { code?: string }).code ?? (e as Error).name,
      });
      port.postMessage({ type: "failed", code: (e as Error).name });
    },
  );
}

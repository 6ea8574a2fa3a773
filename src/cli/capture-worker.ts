/**
 * The capture thread's entry (`start` runs it with `worker_threads`): opens
 * its own connection to the configured store and runs capture there, so the
 * proxy's thread only forwards bytes and journals finished exchanges.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runCaptureWorker } from "../capture/pipeline/capture-worker-loop.js";
import { CAPTURE_STORE_CACHE_KIB } from "../capture/proxy/thread-options.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { openStore } from "../store/open-store.js";
import { reflectionHook } from "./reflection-hook.js";
import { BACKGROUND_NICE, yieldCpuToForwarding } from "./thread-priority.js";

const { config } = workerData as { config: Config };
const port = parentPort;
// Lines go to the proxy's thread on the same port as "stopped", so none is lost when the thread
// ends (a worker's own stderr is flushed asynchronously and may be cut off by terminate()).
const logger = createLogger(
  config.logLevel,
  port ? (line) => port.postMessage({ type: "log", line }) : undefined,
  { component: "capture" },
);
// Capture uses what forwarding leaves: under a flood its backlog grows (durable, in the journal)
// and it catches up once traffic eases.
yieldCpuToForwarding(BACKGROUND_NICE);
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

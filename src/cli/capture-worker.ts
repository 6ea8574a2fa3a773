/**
 * The capture thread's entry (`start` runs it with `worker_threads`): opens
 * its own connection to the configured store and runs capture there, so the
 * proxy's thread only forwards bytes and journals finished exchanges.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runCaptureWorker } from "../capture/capture-worker-loop.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { openStore } from "../store/open-store.js";
import { reflectionHook } from "./reflection-hook.js";

const { config } = workerData as { config: Config };
const logger = createLogger(config.logLevel, undefined, { component: "capture" });
const port = parentPort;
if (port) {
  openStore(config, logger).then(
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

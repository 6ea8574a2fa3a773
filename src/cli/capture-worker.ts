/**
 * The capture thread's entry (`start` runs it with `worker_threads`): it
 * runs the journal mover it is handed (src/capture/proxy/journal-mover.ts:
 * the spool into journal.db), then opens its own connection to the
 * configured store and runs capture there, so the proxy's thread only
 * forwards bytes and spools finished exchanges.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runCaptureWorker } from "../capture/pipeline/capture-worker-loop.js";
import { paceBehind } from "../capture/pipeline/forwarding-pace.js";
import { type JournalMoverHandoff, runJournalMover } from "../capture/proxy/journal-mover.js";
import { CAPTURE_STORE_CACHE_KIB } from "../capture/proxy/thread-options.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { openStore } from "../store/open-store.js";
import { reflectionHook } from "./reflection-hook.js";
import { BACKGROUND_NICE, yieldCpuToForwarding } from "./thread-priority.js";

const { config, journal, forwardingLoad } = workerData as {
  config: Config;
  journal?: JournalMoverHandoff | null;
  /** The forwarding thread's event loop load (forwarding-pace.ts): capture waits while it is busy. */
  forwardingLoad?: SharedArrayBuffer;
};
const port = parentPort;
// Lines go to the proxy's thread on the same port as "stopped", so none is lost when the thread
// ends (a worker's own stderr is flushed asynchronously and may be cut off by terminate()).
const sink = port ? (line: string) => port.postMessage({ type: "log", line }) : undefined;
const logger = createLogger(config.logLevel, sink, { component: "capture" });
// Capture uses what forwarding leaves: under a flood its backlog grows (durable, in the spool and
// the journal) and it catches up once traffic eases.
yieldCpuToForwarding(BACKGROUND_NICE);
// Until capture runs, rows the mover adds wait: capture reads the whole journal when it starts.
let onJournaled = (): void => undefined;
// Both wait behind a busy forwarding thread (forwarding-pace.ts).
const pace = forwardingLoad ? paceBehind(forwardingLoad) : undefined;
// The mover first, so the spool is moved into the journal even when the store cannot be opened.
// Its lines go on its own port, open until the proxy lets go of the journal (after capture stopped).
if (journal) {
  const moverLogger = createLogger(
    config.logLevel,
    (line) => journal.port.postMessage({ type: "log", line }),
    { component: "journal" },
  );
  try {
    runJournalMover(journal.start, journal.port, {
      logger: moverLogger,
      onJournaled: () => onJournaled(),
      pace,
    });
  } catch (e) {
    // Capture goes on; closing the line has the proxy's thread journal the exchanges itself.
    moverLogger.error("the journal mover could not start; the proxy's thread journals the exchanges", {
      code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
    });
    journal.port.close();
  }
}
if (port) {
  // Its own connection, which writes: a smaller page cache than the searching connections' (thread-options.ts).
  openStore(config, logger, { sqliteCacheKib: CAPTURE_STORE_CACHE_KIB }).then(
    (store) => {
      const capture = runCaptureWorker({
        config,
        store,
        logger,
        port,
        onMemoriesStored: reflectionHook(store, config, logger),
        pace,
      });
      onJournaled = capture.journaled;
    },
    (e: unknown) => {
      logger.error("the capture thread could not open the store; exchanges stay journaled", {
        code: (e as { code?: string }).code ?? (e as Error).name,
      });
      port.postMessage({ type: "failed", code: (e as Error).name });
      // Nothing to finish: stop is answered at once (the mover, if any, keeps the thread until close).
      port.on("message", (m: { type?: string }) => {
        if (m.type === "stop") port.postMessage({ type: "stopped" });
      });
    },
  );
}

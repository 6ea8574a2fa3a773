import type { MessagePort } from "node:worker_threads";
import type { Config } from "../../core/config.js";
import type { Logger } from "../../core/logger.js";
import { diskReserve } from "../../files/disk-reserve.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { type Counters, counterDelta, counterSet, zeroCounters } from "../capture-stats.js";
import { captureParts } from "./capture-chain.js";
import { fromJournal } from "./exchange-journal.js";
import { type JournalMeta, Outbox, outboxPath } from "./outbox.js";

/**
 * The capture side of the proxy, on its own thread: it reads the exchanges
 * the forwarding thread journaled, turns them into episodes, stores them
 * and runs the reflection hook. Nothing here can delay a byte being
 * forwarded. Messages: `journaled` (new rows the forwarding thread wrote
 * itself), `exchange` (one that could not be journaled, in memory), `stop`;
 * it answers with `counters` and `stopped`. The journal mover on the same
 * thread calls `journaled()` on what this returns.
 */

export type ToCaptureThread =
  | { type: "journaled" }
  | { type: "exchange"; meta: JournalMeta; request: Uint8Array; response: Uint8Array }
  | { type: "stop" };

export type FromCaptureThread =
  | { type: "counters"; deltas: Partial<Counters> }
  | { type: "stopped" }
  | { type: "failed"; code: string }
  /** A log line of the thread's, already formatted, for the proxy's stderr. */
  | { type: "log"; line: string };

export interface CaptureWorkerOptions {
  config: Config;
  store: MemoryStore;
  logger: Logger;
  port: MessagePort;
  onMemoriesStored?: ((count: number) => void) | undefined;
  /** Awaited before each batch: waits while forwarding is busy (forwarding-pace.ts). */
  pace?: (() => Promise<void>) | undefined;
}

const COUNTERS_EVERY_MS = 200;

export function runCaptureWorker(opts: CaptureWorkerOptions): { journaled(): void } {
  const { config, store, logger, port } = opts;
  const { counters, count } = counterSet();
  let sent = zeroCounters();
  // The proxy's thread writes the reserve back; this side may only give it up.
  const reserve = diskReserve(config.dataDir, config.proxy.diskReserveBytes, logger);
  const outbox = Outbox.open(outboxPath(config.dataDir), { onDiskFull: reserve.release });
  const { pipeline, worker } = captureParts({
    config,
    store,
    logger,
    outbox,
    count,
    onMemoriesStored: opts.onMemoriesStored,
    pace: opts.pace,
  });

  const post = (msg: FromCaptureThread) => port.postMessage(msg);
  const flushCounters = () => {
    const delta = counterDelta(counters, sent);
    const changed = Object.fromEntries(Object.entries(delta).filter(([, v]) => v !== 0));
    if (Object.keys(changed).length === 0) return;
    sent = { ...counters };
    post({ type: "counters", deltas: changed });
  };
  const counterTimer = setInterval(flushCounters, COUNTERS_EVERY_MS);

  // One pass over the journal at a time; a notice during a pass asks for one more.
  let reading = false;
  let again = false;
  const read = (): void => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    again = false;
    pipeline
      .replayJournal()
      .catch((e: unknown) => {
        count("captureFailures");
        logger.error("reading the capture journal failed", { code: (e as Error).name });
      })
      .finally(() => {
        reading = false;
        if (again) read();
      });
  };

  port.on("message", (msg: ToCaptureThread) => {
    if (msg.type === "journaled") read();
    else if (msg.type === "exchange") {
      pipeline.submitUnjournaled(
        fromJournal({
          id: 0,
          meta: msg.meta,
          request: Buffer.from(msg.request),
          response: Buffer.from(msg.response),
        }),
      );
    } else if (msg.type === "stop") void stop();
  });

  const stop = async () => {
    // Finish the exchange in hand; the rest of a backlog stays journaled for the next start.
    pipeline.stopReading();
    while (reading) await new Promise((r) => setTimeout(r, 20));
    await pipeline.settle(2000);
    await worker.drain(5000);
    worker.stop();
    pipeline.stop();
    clearInterval(counterTimer);
    flushCounters();
    try {
      // No raw exchange left readable in the journal's WAL once it is empty.
      outbox.scrub();
    } catch {
      // locked or closed: the next start does it
    }
    outbox.close();
    await store.close().catch(() => undefined);
    post({ type: "stopped" });
    port.close();
  };
  // Nothing thrown on this thread may take the proxy down; exchanges stay journaled.
  process.on("unhandledRejection", (e) => {
    count("captureFailures");
    logger.error("capture failed", { error: e instanceof Error ? e.name : "error" });
  });

  // What a previous run journaled and the outbox rows it left.
  read();
  worker.notify();
  return { journaled: read };
}

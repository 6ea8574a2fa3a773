import type { ResourceLimits, TransferListItem, WorkerOptions } from "node:worker_threads";

/**
 * How the proxy's background threads are started: V8 heap limits sized for
 * what each one does, so that a burst of traffic does not leave each isolate
 * at V8's defaults for a whole process (a 16 MiB semi-space pair and an old
 * generation allowed to grow 4x between full collections, the growth factor
 * V8 gives a heap limit of 2 GiB or more). Measured with
 * `node dist-bench/bench/proxy.js --phases rss` (docs/capture.md, Memory).
 * Under the proxy's node flags (src/cli/node-flags.ts: `start` is launched
 * with them) V8 applies those flags to every isolate instead of these limits:
 * 2 MiB semi-spaces and 512 MiB for each thread. These limits hold where the
 * process was started without them (an embedding, `node dist/cli/main.js`).
 *
 * - Young generation: `maxYoungGenerationSizeMb` is three semi-spaces (two
 *   plus the new large-object space), so 6 is a 2 MiB semi-space (V8's
 *   default limit here is 48, 16 MiB) and 3 is 1 MiB.
 * - Old generation: a smaller limit makes V8 grow the heap by a smaller factor
 *   after each full collection (1.4x at 512 MiB, 1.3x at 256 MiB) instead of
 *   letting garbage pile up to 4x the live size. The limits stay far above
 *   what a thread keeps: the largest exchange capture takes is 8 MiB each way
 *   (CAPTURE_CAP_BYTES; three such exchanges were captured with a 32 MiB
 *   limit); the journal mover, on the same thread, holds its bodies as
 *   array buffers, outside the V8 heap.
 */
export const CAPTURE_THREAD_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  maxYoungGenerationSizeMb: 6,
  maxOldGenerationSizeMb: 512,
});

/**
 * The capture thread's page cache on memories.db (KiB). It only writes (and
 * looks up the hashes it deduplicates by); searches run on other connections
 * with the store's 16 MiB default.
 */
export const CAPTURE_STORE_CACHE_KIB = 4 * 1024;

/** The Worker options of the capture thread (src/cli/capture-worker.ts); `transferList`: ports in `workerData`. */
export function captureThreadOptions(
  workerData: unknown,
  transferList: TransferListItem[] = [],
): WorkerOptions {
  return { workerData, transferList, resourceLimits: { ...CAPTURE_THREAD_LIMITS } };
}

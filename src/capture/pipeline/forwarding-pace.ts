/**
 * Capture runs behind forwarding, not beside it. Under SCHED_IDLE (src/cli/thread-priority.ts)
 * the capture thread gets only CPU time nothing else wants, but while it runs on the other core
 * it still slows forwarding: its working set (SQLite pages, parsed bodies, the V8 heap) pushes
 * forwarding's out of the caches the cores share. A flood with capture idle forwarded 25-26 % of
 * direct's rate and 19-21 % with it (docs/capture.md, Capture behind forwarding). So while the
 * forwarding thread's event loop is busy, capture waits before each batch (up to MAX_WAIT_MS, then
 * it does one batch anyway, so it always makes progress); exchanges wait durably in the spool and
 * the journal meanwhile, and `status` shows how far behind capture is.
 *
 * The forwarding thread samples its event loop utilization every SAMPLE_MS into a
 * SharedArrayBuffer (one Int32, per mille); the capture thread reads it with Atomics.
 */

/** Forwarding counts as busy above this event loop utilization (per mille). */
export const BUSY_ABOVE_PER_MILLE = 500;
/** How often the forwarding thread samples its event loop utilization. */
export const SAMPLE_MS = 50;
/** How long capture sleeps between two looks while forwarding is busy. */
const WAIT_STEP_MS = 20;
/**
 * The longest capture waits before a batch; then it does that batch whatever forwarding does. 250 ms
 * (up to 400 exchanges/s captured beside a flood) cost forwarding 38.8 % of direct's rate against
 * 45.1 % at 5 s in 5 interleaved rounds (docs/capture.md, "Interleaved rounds"); what floods leave
 * behind waits durably, and capture catches up once forwarding is quiet (stop reads as quiet).
 */
export const MAX_WAIT_MS = 5000;

/** The forwarding thread's side: its load, shared, until `stop` (which leaves it reading as idle). */
export interface SharedLoad {
  buffer: SharedArrayBuffer;
  stop(): void;
}

export function shareForwardingLoad(): SharedLoad {
  const buffer = new SharedArrayBuffer(4);
  const cell = new Int32Array(buffer);
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    Atomics.store(cell, 0, Math.round(performance.eventLoopUtilization(now, last).utilization * 1000));
    last = now;
  }, SAMPLE_MS);
  timer.unref();
  return {
    buffer,
    stop: () => {
      clearInterval(timer);
      Atomics.store(cell, 0, 0);
    },
  };
}

/** The next turn of the event loop (what a batch awaits when nothing paces it). */
export const nextTurn = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The capture thread's side: what it awaits before each batch. The next turn of its event loop
 * when forwarding is quiet; while forwarding is busy, until it is quiet, at most `maxWaitMs`.
 */
export function paceBehind(buffer: SharedArrayBuffer, maxWaitMs = MAX_WAIT_MS): () => Promise<void> {
  const cell = new Int32Array(buffer);
  return async () => {
    await nextTurn();
    for (
      let waited = 0;
      waited < maxWaitMs && Atomics.load(cell, 0) > BUSY_ABOVE_PER_MILLE;
      waited += WAIT_STEP_MS
    )
      await sleep(WAIT_STEP_MS);
  };
}

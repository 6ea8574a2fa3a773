import { describe, expect, it } from "vitest";
import {
  BUSY_ABOVE_PER_MILLE,
  paceBehind,
  shareForwardingLoad,
} from "../../../src/capture/pipeline/forwarding-pace.js";
import { until } from "../../support/until.js";

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe("capture waits behind a busy forwarding thread (forwarding-pace.ts)", () => {
  it("the forwarding side shares its event loop utilization: high while its loop is blocked, idle once stopped", async () => {
    const load = shareForwardingLoad();
    const cell = new Int32Array(load.buffer);
    try {
      // A loop that is busy the whole time (a synchronous 200 ms) reads as busy at the next sample.
      const until200 = performance.now() + 200;
      while (performance.now() < until200) {
        // busy
      }
      await until(() => Atomics.load(cell, 0) > BUSY_ABOVE_PER_MILLE, "a busy sample");
      // Idle: a sample of a loop that only waits.
      await until(() => Atomics.load(cell, 0) < BUSY_ABOVE_PER_MILLE, "a quiet sample");
    } finally {
      load.stop();
    }
    expect(Atomics.load(cell, 0)).toBe(0);
  });

  it("the capture side goes on at the next turn when forwarding is quiet, waits while it is busy", async () => {
    const buffer = new SharedArrayBuffer(4);
    const cell = new Int32Array(buffer);
    const pace = paceBehind(buffer, 60_000);
    let quietDone = false;
    await pace().then(() => {
      quietDone = true;
    });
    expect(quietDone).toBe(true);

    Atomics.store(cell, 0, 900);
    let busyDone = false;
    const waiting = pace().then(() => {
      busyDone = true;
    });
    await turns(10);
    await new Promise((r) => setTimeout(r, 100));
    expect(busyDone).toBe(false);
    Atomics.store(cell, 0, 100);
    await waiting;
    expect(busyDone).toBe(true);
  });

  it("never waits longer than its limit: capture always makes progress", async () => {
    const buffer = new SharedArrayBuffer(4);
    Atomics.store(new Int32Array(buffer), 0, 1000);
    // Busy for ever: it still resolves, after about the limit.
    await paceBehind(buffer, 60)();
  });
});

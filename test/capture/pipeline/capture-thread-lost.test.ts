import { readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../support/harness.js";

/**
 * The capture chain when the capture thread cannot run the journal mover: the thread ends at once,
 * or it closes the mover's line (what src/cli/capture-worker.ts does when the mover fails to
 * start). Either way the proxy's own thread journals the exchanges (slower, never lost), and
 * stopping does not wait for a thread that is gone.
 */
const stand_in = (code: string) => new URL(`data:text/javascript,${encodeURIComponent(code)}`);
const EXITS = stand_in("process.exit(3);");
const CLOSES_MOVER = stand_in(`
import { parentPort, workerData } from "node:worker_threads";
workerData.journal.port.close();
parentPort.on("message", (m) => { if (m && m.type === "stop") parentPort.postMessage({ type: "stopped" }); });
`);

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** The exchanges in journal.db, as another connection sees them: each one's request body. */
function journaledRequests(dir: string): string[] {
  const db = new Database(join(dir, "journal.db"), { readonly: true });
  try {
    return (db.prepare("SELECT request FROM exchanges ORDER BY id").all() as { request: Buffer }[]).map((r) =>
      r.request.toString(),
    );
  } finally {
    db.close();
  }
}

describe("the capture thread's journal mover is gone", () => {
  it.each([
    ["the thread ends at once", EXITS],
    ["the thread closes the mover's line", CLOSES_MOVER],
  ])("%s: the proxy's thread journals every exchange itself, and stops without waiting", async (_, entry) => {
    h = await startHarness({ proxy: { captureThread: { entry, workerData: {} } } });
    const client = h.reverseClient();
    for (const word of ["first", "second"]) {
      const msg = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 16,
        messages: [{ role: "user", content: `the ${word} question` }],
      });
      expect(msg.type).toBe("message");
    }
    const dir = h.dir;
    const started = performance.now();
    await h.proxy.close();
    // Well under the 10 s a stop waits for a thread that does not answer, or close's 5 s for the mover.
    expect(performance.now() - started).toBeLessThan(4000);
    const requests = journaledRequests(dir);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toContain("the first question");
    expect(requests[1]).toContain("the second question");
    // Nothing left behind in the spool either: what was spooled went into the journal with the rest.
    expect(readdirSync(join(dir, "spool"))).toEqual([]);
  });
});

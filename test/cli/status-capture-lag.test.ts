import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Outbox } from "../../src/capture/pipeline/outbox.js";
import { sampleJournalMeta } from "../capture/support/journal-meta.js";
import { runCli, tempDataDir } from "../support/cli.js";

/**
 * `status` says how far behind capture is: exchanges the proxy journaled that
 * the capture thread has not read yet, and the age of the oldest. Here the
 * journal is written as the forwarding thread writes it, with no proxy
 * running to read it (as after a stop with a backlog, or a kill -9).
 */
const meta = sampleJournalMeta();

describe("status: capture lag", () => {
  const dir = tempDataDir("mmm-lag-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { MEMORY_DATA_DIR: dir, MITM_PORT: "9" };

  it("says capture is up to date when nothing is journaled", async () => {
    const r = await runCli(["status", "--json"], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).capture).toEqual({ waiting: 0, oldestAt: null, behindSeconds: null });
    const text = await runCli(["status"], { env, cwd: dir });
    expect(text.stdout).toMatch(/^capture: +up to date/m);
  });

  it("counts the exchanges waiting and how long the oldest has waited", async () => {
    const outbox = Outbox.open(join(dir, "outbox.db"));
    const oldest = Date.now() - 90_000;
    try {
      outbox.journalExchange(meta, Buffer.from("{}"), Buffer.from("{}"), oldest);
      outbox.journalExchange(meta, Buffer.from("{}"), Buffer.from("{}"), Date.now() - 5_000);
      outbox.journalExchange(meta, Buffer.from("{}"), Buffer.from("{}"));
    } finally {
      outbox.close();
    }
    const r = await runCli(["status", "--json"], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lag = JSON.parse(r.stdout).capture;
    expect(lag.waiting).toBe(3);
    expect(lag.oldestAt).toBe(new Date(oldest).toISOString());
    expect(lag.behindSeconds).toBeGreaterThanOrEqual(90);
    const text = await runCli(["status"], { env, cwd: dir });
    expect(text.stdout).toMatch(
      /^capture: +3 exchanges waiting, \d+(\.\d)? s behind \(oldest journaled [^)]+\) — read when the proxy starts$/m,
    );
  });
});

import { readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKGROUND_NICE } from "../../src/cli/thread-priority.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";
import { spawnStart } from "./support/cli-process.js";

/**
 * `start` runs capture and the journal writer below forwarding: on Linux each of the two threads is
 * BACKGROUND_NICE steps below the process's main (forwarding) thread, read from /proc as the OS sees them.
 */
const linux = process.platform === "linux";
if (!linux) console.log("thread-priority.test.ts: skipped — per-thread nice values are Linux's");

let stub: AnthropicStub;
let dir: string;
beforeAll(async () => {
  if (!linux) return;
  stub = await startAnthropicStub();
  dir = tempDataDir("mmm-nice-");
});
afterAll(async () => {
  if (!linux) return;
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // After the command name in parentheses: state is field 3; nice is field 19.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe.skipIf(!linux)("thread priorities of start", () => {
  it("runs the capture and journal writer threads BACKGROUND_NICE steps below forwarding", async () => {
    const proxy = await spawnStart(dir, { UPSTREAM_URL: stub.url, UPSTREAM_CA_FILE: stub.caFile });
    try {
      const pid = proxy.child.pid as number;
      const base = niceByThread(pid).get(pid) as number;
      await until(
        () =>
          [...niceByThread(pid).values()].filter((n) => n === Math.min(19, base + BACKGROUND_NICE)).length >=
          2,
        () =>
          `two threads at nice ${Math.min(19, base + BACKGROUND_NICE)}: ${JSON.stringify([...niceByThread(pid)])}`,
      );
      // Forwarding itself keeps the process's priority.
      expect(niceByThread(pid).get(pid)).toBe(base);
    } finally {
      proxy.child.kill("SIGTERM");
    }
    expect(await proxy.exited).toBe(0);
  });
});

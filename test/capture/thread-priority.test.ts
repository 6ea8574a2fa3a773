import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKGROUND_NICE, SCHED_IDLE } from "../../src/cli/thread-priority.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { tempDataDir } from "../support/cli.js";
import { until } from "../support/until.js";
import { spawnStart } from "./support/cli-process.js";

/**
 * `start` runs capture (and the journal mover, on the same thread) below forwarding: on Linux that
 * thread is BACKGROUND_NICE steps below the process's main (forwarding) thread and under SCHED_IDLE
 * (set with util-linux's chrt), read from /proc as the OS sees them; no other thread is.
 */
const linux = process.platform === "linux";
if (!linux) console.log("thread-priority.test.ts: skipped — per-thread nice values are Linux's");
function hasChrt(): boolean {
  try {
    execFileSync("chrt", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const chrt = linux && hasChrt();
if (linux && !chrt) {
  const why = "thread-priority.test.ts: SCHED_IDLE not checked — no chrt (util-linux) on PATH";
  // Debian's util-linux is essential: CI has chrt, so its absence there is a failure, not a skip.
  if (process.env.CI) throw new Error(why);
  console.log(why);
}

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

/** Nice value and scheduling policy of each thread of a process (fields 19 and 41 of /proc/<pid>/task/<tid>/stat). */
function threads(pid: number): Map<number, { nice: number; policy: number }> {
  const out = new Map<number, { nice: number; policy: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // After the command name in parentheses: state is field 3; nice is field 19, policy field 41.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), { nice: Number(fields[16]), policy: Number(fields[38]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe.skipIf(!linux)("thread priorities of start", () => {
  it("runs the capture thread BACKGROUND_NICE steps below forwarding, under SCHED_IDLE, and only it", async () => {
    const proxy = await spawnStart(dir, { UPSTREAM_URL: stub.url, UPSTREAM_CA_FILE: stub.caFile });
    try {
      const pid = proxy.child.pid as number;
      const main = threads(pid).get(pid) as { nice: number; policy: number };
      const low = Math.min(19, main.nice + BACKGROUND_NICE);
      const background = () => [...threads(pid).values()].filter((t) => t.nice === low);
      const seen = () =>
        `a thread at nice ${low}${chrt ? " under SCHED_IDLE" : ""}: ${JSON.stringify([...threads(pid)])}`;
      await until(() => background().length >= 1, seen);
      if (chrt) await until(() => background().filter((t) => t.policy === SCHED_IDLE).length >= 1, seen);
      // Forwarding itself keeps the process's priority and policy, and so does every other thread.
      expect(threads(pid).get(pid)).toEqual(main);
      expect(main.policy).not.toBe(SCHED_IDLE);
      // (Run at nice 19 already, every thread is at nice 19: then only the policy tells them apart.)
      if (main.nice < 19) expect(background()).toHaveLength(1);
      expect([...threads(pid).values()].filter((t) => t.policy === SCHED_IDLE)).toHaveLength(chrt ? 1 : 0);
    } finally {
      proxy.child.kill("SIGTERM");
    }
    expect(await proxy.exited).toBe(0);
  });
});

import { spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * How many nice steps the capture thread (capture and the journal mover) runs below forwarding: as far as
 * Linux goes (19 above a process at 0). At 10 they still took CPU the forwarding thread was
 * waiting for under a flood; at 19 reverse-mode throughput at 16 connections was 7-12 % higher
 * (bench:proxy's routes, three interleaved pairs). Either way they get every idle cycle.
 */
export const BACKGROUND_NICE = 19;

/** Linux's SCHED_IDLE, as /proc/<pid>/task/<tid>/stat reports a thread's policy (field 41). */
export const SCHED_IDLE = 5;

/**
 * A background thread yields the CPU to forwarding: it runs `steps` nice
 * steps below the rest of the process, then under SCHED_IDLE. Linux only,
 * where a thread's nice value and policy are its own (setpriority with 0 is
 * the calling thread); elsewhere it would lower the whole process,
 * forwarding included. The thread then uses what forwarding leaves: under a
 * flood its backlog grows (durable, in the spool or the journal) and it
 * catches up once traffic eases.
 *
 * Why SCHED_IDLE as well: at nice 19 the kernel's scheduler (EEVDF) still
 * lets the thread finish its slice when forwarding wakes up, so under a flood
 * capture took about a third of the CPU and forwarding waited for it. A
 * SCHED_IDLE thread is preempted as soon as any other thread is runnable: it
 * runs only in the gaps (a core with nothing else to do), which a
 * request-reply flood still leaves plenty of. Reverse mode at 16 connections,
 * same build and machine, interleaved: see docs/capture.md "Priorities".
 */
export function yieldCpuToForwarding(steps: number): void {
  if (process.platform !== "linux") return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + steps));
  } catch {
    // not allowed here: the thread runs at the process's own priority
  }
  idlePolicy();
}

/**
 * Puts the calling thread under SCHED_IDLE with util-linux's `chrt` (Node has no
 * sched_setscheduler; lowering one's own policy needs no privilege). Where `chrt` is missing
 * or refuses, the thread stays at its nice value: nothing fails.
 */
function idlePolicy(): void {
  let tid: string;
  try {
    // "<pid>/task/<tid>": this thread's own id, which chrt takes as its pid.
    tid = readlinkSync("/proc/thread-self").split("/").pop() ?? "";
  } catch {
    return;
  }
  if (!/^\d+$/.test(tid)) return;
  try {
    const child = spawn("chrt", ["--idle", "--pid", "0", tid], { stdio: "ignore" });
    child.on("error", () => {
      // no chrt here: nice alone
    });
    child.unref();
  } catch {
    // cannot spawn: nice alone
  }
}

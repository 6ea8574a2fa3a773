import { getPriority, setPriority } from "node:os";

/**
 * How many nice steps the capture and journal writer threads run below forwarding: as far as
 * Linux goes (19 above a process at 0). At 10 they still took CPU the forwarding thread was
 * waiting for under a flood; at 19 reverse-mode throughput at 16 connections was 7-12 % higher
 * (bench:proxy's routes, three interleaved pairs). Either way they get every idle cycle.
 */
export const BACKGROUND_NICE = 19;

/**
 * A background thread yields the CPU to forwarding: it runs `steps` nice
 * steps below the rest of the process. Linux only, where a thread's nice
 * value is its own (setpriority with 0 is the calling thread); elsewhere it
 * would lower the whole process, forwarding included. The thread then uses
 * what forwarding leaves: under a flood its backlog grows (durable, in the
 * spool or the journal) and it catches up once traffic eases.
 */
export function yieldCpuToForwarding(steps: number): void {
  if (process.platform !== "linux") return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + steps));
  } catch {
    // not allowed here: the thread runs at the process's own priority
  }
}

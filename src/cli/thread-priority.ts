import { getPriority, setPriority } from "node:os";

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

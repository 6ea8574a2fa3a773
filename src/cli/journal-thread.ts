/**
 * The journal writer's thread entry (`start` runs it with `worker_threads`):
 * every SQLite write of the forwarding thread, done here instead
 * (src/capture/proxy/journal-thread.ts). It moves the spool into the journal,
 * which only capture waits for: it runs below forwarding, like capture.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type JournalThreadStart, runJournalThread } from "../capture/proxy/journal-thread.js";
import { BACKGROUND_NICE, yieldCpuToForwarding } from "./thread-priority.js";

yieldCpuToForwarding(BACKGROUND_NICE);
if (parentPort) runJournalThread(workerData as JournalThreadStart, parentPort);

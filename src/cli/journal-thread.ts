/**
 * The journal writer's thread entry (`start` runs it with `worker_threads`):
 * every SQLite write of the forwarding thread, done here instead
 * (src/capture/proxy/journal-thread.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { type JournalThreadStart, runJournalThread } from "../capture/proxy/journal-thread.js";

if (parentPort) runJournalThread(workerData as JournalThreadStart, parentPort);

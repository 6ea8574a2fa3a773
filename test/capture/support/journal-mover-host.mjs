// A thread that runs only the journal mover, as the capture thread runs it before capture starts
// (src/cli/capture-worker.ts), from the built code (the vitest global setup rebuilds dist). It says
// "journaled" to its parent each time the mover tells it rows were added.
import { parentPort, workerData } from "node:worker_threads";

const dist = new URL("../../../dist/", import.meta.url);
const { runJournalMover } = await import(new URL("capture/proxy/journal-mover.js", dist).href);
const { silentLogger } = await import(new URL("core/logger.js", dist).href);

runJournalMover(workerData.start, workerData.port, {
  logger: silentLogger,
  onJournaled: () => parentPort?.postMessage("journaled"),
});

/**
 * The hook thread's entry (`start` runs it with `worker_threads`, beside the
 * capture thread): serves `recall.sock` (hook-server.ts) on its own event
 * loop, so a hook's search never runs on the thread that forwards bytes, nor
 * queues behind capture's store writes.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { LogLevel } from "../../core/logger.js";
import { createLogger } from "../../core/logger.js";
import { type HookServer, serveHooks } from "./hook-server.js";

export interface HookWorkerData {
  dataDir: string;
  version: string;
  logLevel: LogLevel;
}

/** What the thread tells the proxy. */
export type FromHookThread =
  | { type: "listening"; path: string; ino: number }
  | { type: "declined"; reason: string }
  | { type: "log"; line: string }
  | { type: "stopped" };

const port = parentPort;
if (port) {
  const { dataDir, version, logLevel } = workerData as HookWorkerData;
  const send = (msg: FromHookThread) => port.postMessage(msg);
  // Lines go to the proxy's thread, as the capture thread's do (see capture-worker.ts).
  const logger = createLogger(logLevel, (line) => send({ type: "log", line }), { component: "hooks" });
  let server: HookServer | null = null;
  const started = serveHooks({ dataDir, version, logger }).then(
    (r) => {
      if ("declined" in r) send({ type: "declined", reason: r.declined });
      else {
        server = r;
        send({ type: "listening", path: r.path, ino: r.ino });
      }
    },
    (e: unknown) => send({ type: "declined", reason: e instanceof Error ? e.message : String(e) }),
  );
  port.on("message", (msg: { type: string }) => {
    if (msg.type !== "stop") return;
    void started
      .then(() => (server as HookServer | null)?.close())
      .catch(() => {})
      .finally(() => {
        send({ type: "stopped" });
        port.close();
      });
  });
}

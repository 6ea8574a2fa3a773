/**
 * The proxy's handle on the hook thread (hook-worker.ts): started beside the
 * capture proxy by `start`, stopped first at shutdown (the socket goes before
 * anything else, so hooks answer in-process from then on). A thread that
 * cannot serve (another proxy answers on the socket, a path too long for a
 * socket) costs the fast path only: hooks still answer in-process.
 */
import { lstatSync, unlinkSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../core/logger.js";
import type { FromHookThread, HookWorkerData } from "./hook-worker.js";

/** Removes the socket file at `path` if it is still the one with inode `ino`. */
export function removeSocketIfOurs(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch {
    // already gone
  }
}

export interface HookThread {
  /** The socket it answers on; null when it does not serve. */
  path: string | null;
  stop(): Promise<void>;
}

export async function startHookThread(opts: {
  entry: URL;
  workerData: HookWorkerData;
  logger: Logger;
  startTimeoutMs?: number;
}): Promise<HookThread> {
  const { logger } = opts;
  let thread: Worker;
  try {
    thread = new Worker(opts.entry, { workerData: opts.workerData });
  } catch (e) {
    logger.warn("the hook thread did not start; hooks are answered by the hook command itself", {
      error: e instanceof Error ? e.name : "error",
    });
    return { path: null, stop: async () => {} };
  }
  let socket: { path: string; ino: number } | null = null;
  let stopping = false;
  let stopped: (() => void) | null = null;
  // The socket file must not outlive the process, even when it exits without stop() (a second Ctrl-C).
  const removeSocket = () => {
    if (socket) removeSocketIfOurs(socket.path, socket.ino);
  };
  await new Promise<void>((ready) => {
    const timer = setTimeout(ready, opts.startTimeoutMs ?? 10_000);
    const done = () => {
      clearTimeout(timer);
      ready();
    };
    thread.on("message", (msg: FromHookThread) => {
      if (msg.type === "log") process.stderr.write(msg.line);
      else if (msg.type === "listening") {
        socket = { path: msg.path, ino: msg.ino };
        done();
      } else if (msg.type === "declined") {
        logger.warn("Claude Code hooks are answered by the hook command itself, not by the proxy", {
          reason: msg.reason,
        });
        done();
      } else if (msg.type === "stopped") stopped?.();
    });
    thread.on("error", (e) => {
      logger.warn("the hook thread failed; hooks are answered by the hook command itself", { error: e.name });
      done();
    });
    thread.on("exit", () => {
      if (!stopping) removeSocket();
      stopped?.();
      done();
    });
  });
  process.on("exit", removeSocket);
  return {
    path: socket === null ? null : (socket as { path: string }).path,
    stop: async () => {
      stopping = true;
      const gone = new Promise<void>((resolve) => {
        stopped = resolve;
        setTimeout(resolve, 3000).unref();
      });
      thread.postMessage({ type: "stop" });
      await gone;
      removeSocket();
      process.off("exit", removeSocket);
      await thread.terminate();
    },
  };
}

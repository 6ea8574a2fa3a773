import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The repository root; the stores under test are loaded from its `dist/` (built by `npm run build`). */
export const ROOT = join(import.meta.dirname, "..", "..");

export interface WorkerRun {
  child: ChildProcess;
  /** Resolves once the worker printed `ready` (it opened its store), or exited. */
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Starts one writer process: `worker` (a fixture under test/store/fixtures/)
 * loads the built store module `builtStore` and writes `unique` memories of
 * its own and `shared` ones every writer also writes, to `target` (a file or
 * a database URL).
 */
export function startWorker(
  worker: string,
  builtStore: string,
  target: string,
  tag: string,
  unique: number,
  shared: number,
): WorkerRun {
  const child = spawn(
    process.execPath,
    [worker, pathToFileURL(builtStore).href, target, tag, String(unique), String(shared)],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith("ready\n")) signalReady();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("exit", (code) => {
      signalReady();
      resolve({ code, stdout, stderr });
    });
  });
  return { child, ready, done };
}

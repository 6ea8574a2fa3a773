import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { cliPath, type RunResult, runCli } from "../../support/cli.js";

/** The built CLI (`npm run build`; the vitest global setup rebuilds a stale dist). */
export function captureCliPath(): string {
  return cliPath;
}

function cleanEnv(env: Record<string, string>, cwd: string): Record<string, string> {
  // The web page that `start` serves beside the proxy takes any free port, so parallel tests never collide.
  return { PATH: process.env.PATH ?? "", HOME: cwd, WEB_PORT: "0", ...env };
}

/** The built CLI with a clean environment (see runCli); `cwd` is also its HOME. */
export function runCapture(
  args: string[],
  env: Record<string, string> = {},
  cwd = tmpdir(),
): Promise<RunResult> {
  return runCli(args, { env, cwd });
}

export interface StartedProxy {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once all of its output has been read. */
  exited: Promise<number | string>;
}

/** `start --port 0 --data-dir DIR`; resolves once it printed where it listens and the lines to paste. */
export function spawnStart(
  dataDir: string,
  env: Record<string, string>,
  cwd = tmpdir(),
): Promise<StartedProxy> {
  const child = spawn(process.execPath, [captureCliPath(), "--data-dir", dataDir, "start", "--port", "0"], {
    env: cleanEnv(env, cwd),
    cwd,
  });
  let out = "";
  let err = "";
  const exited = new Promise<number | string>((resolve) =>
    child.on("close", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m?.[1] && m[2] && out.includes("export NO_PROXY=")) {
        resolve({ child, url: m[1], port: Number(m[2]), stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then((code) => reject(new Error(`start exited (${code}) before listening:\n${err}`)));
  });
}

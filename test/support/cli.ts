import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..", "..");
export const cliPath = join(repoRoot, "dist", "cli", "main.js");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh data directory in the system temp dir. */
export function tempDataDir(prefix = "mmm-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Runs the built CLI with a clean environment (no user .env, no inherited
 * MEM0_API_KEY), so tests never touch the person's real data.
 */
export function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    input?: string;
    cwd?: string;
    /** Write `input` but leave stdin open (a client that never finishes sending). */
    keepStdinOpen?: boolean;
  } = {},
): Promise<RunResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: options.cwd ?? tmpdir(),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env,
      cwd: options.cwd ?? tmpdir(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (options.keepStdinOpen) child.stdin.write(options.input ?? "");
    else child.stdin.end(options.input ?? "");
  });
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Whether `script` (util-linux) is available to give the CLI a terminal. */
export function hasScript(): boolean {
  return spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Runs the built CLI with stdout and stderr on a pseudo-terminal (through
 * util-linux `script`), as a person at a terminal would; both streams arrive
 * merged, with the terminal's CRLF line ends.
 */
export function runCliOnTty(args: string[], options: { env?: Record<string, string> } = {}) {
  const command = [process.execPath, cliPath, ...args].map(shellQuote).join(" ");
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), TERM: "dumb", ...options.env },
      cwd: tmpdir(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

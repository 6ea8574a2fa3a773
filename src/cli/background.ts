/**
 * `start --background` and `stop`: the proxy as a detached process of its
 * own (logs appended to `<data dir>/proxy.log`), started only when none runs,
 * reported once it answers; stopped gracefully (SIGTERM: stop accepting, let
 * streams finish, flush) after checking, through its health endpoint, that
 * the pid is this data directory's proxy and not a process that reused it.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../capture/proxy/proxy-status.js";
import type { Config } from "../core/config.js";
import { MemoryError } from "../core/errors.js";
import { explainBusyPort } from "./busy-port.js";
import { carriedGlobalArgs } from "./carry.js";
import { probeProxy, probeUrl, whoHolds } from "./doctor/proxy-probe.js";
import { PROXY_NODE_FLAGS } from "./node-flags.js";

export function proxyLogPath(dataDir: string): string {
  return join(dataDir, "proxy.log");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last lines of the log, for a start that failed (logs hold no secrets or conversation text at info level). */
function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Refuses when a proxy already runs for this data directory, or the port is held by another. */
async function refuseIfRunning(config: Config): Promise<void> {
  const probe = await probeProxy(config);
  if (probe.answering) {
    throw new MemoryError(
      "CONFLICT",
      `the capture proxy is already running on ${probe.url} (pid ${probe.healthPid}, data dir ${config.dataDir}): use it, or stop it first with mcp-mitm-mem0 stop`,
    );
  }
  if (config.proxy.port === 0) return;
  const holder = await whoHolds(probeUrl(config.proxy.host, config.proxy.port), config.proxy.authToken);
  if (holder.kind !== "free") {
    throw await explainBusyPort(new MemoryError("CONFLICT", `port ${config.proxy.port} is in use`), config);
  }
}

export interface BackgroundStart {
  pid: number;
  url: string;
  log: string;
}

/**
 * Starts `start` (with `startArgs`) detached, and resolves once the proxy
 * answers as this data directory's proxy with the child's pid. A child that
 * exits first, or does not answer within `timeoutMs`, is an error that shows
 * the log's last lines (a child still starting then is stopped).
 */
export async function startInBackground(options: {
  config: Config;
  envFile: string | null;
  startArgs: string[];
  timeoutMs?: number;
}): Promise<BackgroundStart> {
  const { config } = options;
  await refuseIfRunning(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const log = proxyLogPath(config.dataDir);
  const fd = openSync(log, "a", 0o600);
  const cli = realpathSync(process.argv[1] ?? "");
  // The proxy's node flags (node-flags.ts): this process may have been started without them.
  const args = [
    ...PROXY_NODE_FLAGS,
    cli,
    "--data-dir",
    config.dataDir,
    ...carriedGlobalArgs(options.envFile, config.dataDir, process.env),
    "start",
    ...options.startArgs,
  ];
  // stdout (the lines to paste, a first login link) is not kept: the log is for logs.
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", "ignore", fd],
    env: process.env,
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new MemoryError("UNAVAILABLE", `could not start ${process.execPath}`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new MemoryError(
        "UNAVAILABLE",
        `the proxy exited at start (code ${exited}); last lines of ${log}:\n${logTail(log)}`,
      );
    }
    const probe = await probeProxy(config, 1000);
    if (probe.answering && probe.healthPid === pid) return { pid, url: probe.url, log };
    await sleep(100);
  }
  process.kill(pid, "SIGTERM");
  throw new MemoryError(
    "UNAVAILABLE",
    `the proxy (pid ${pid}) did not answer within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s and was stopped; last lines of ${log}:\n${logTail(log)}`,
  );
}

export type StopOutcome =
  | { kind: "stopped"; pid: number; url: string }
  | { kind: "not-running"; detail: string };

/** Stops this data directory's proxy with SIGTERM and waits (up to `timeoutMs`) until its process is gone. */
export async function stopProxy(config: Config, timeoutMs = 30_000): Promise<StopOutcome> {
  const probe = await probeProxy(config);
  if (probe.answering && probe.healthPid !== null && probe.healthPid > 0) {
    const pid = probe.healthPid;
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while (pidAlive(pid)) {
      if (Date.now() > deadline) {
        throw new MemoryError(
          "UNAVAILABLE",
          `the proxy (pid ${pid}) is still finishing after ${Math.round(timeoutMs / 1000)} s (streams in flight?): run mcp-mitm-mem0 stop again, or end it now with: kill -KILL ${pid}`,
        );
      }
      await sleep(50);
    }
    return { kind: "stopped", pid, url: probe.url };
  }
  if (probe.otherDataDir) {
    return {
      kind: "not-running",
      detail: `${probe.url} is the proxy of another data directory (${probe.healthDataDir}, pid ${probe.healthPid}); nothing stopped (use --data-dir ${probe.healthDataDir} to stop that one)`,
    };
  }
  if (probe.status?.running && probe.pidAlive) {
    throw new MemoryError(
      "CONFLICT",
      `pid ${probe.status.pid} (from ${join(config.dataDir, "proxy-status.json")}) is alive but does not answer as this proxy on ${probe.url}: not stopped, since it may be another program now; if it is the proxy, end it with: kill ${probe.status.pid}`,
    );
  }
  return { kind: "not-running", detail: `the capture proxy is not running (data dir ${config.dataDir})` };
}

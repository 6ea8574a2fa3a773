import { connect } from "node:net";
import { resolve as resolvePath } from "node:path";
import { type ProxyStatusFile, pidAlive, readProxyStatus } from "../../capture/proxy/proxy-status.js";
import type { Config } from "../../core/config.js";
import type { Health } from "./proxy-health.js";

/**
 * Is the proxy running? Reads `proxy-status.json` (pid, address), checks the
 * pid, and asks the port's health endpoint (which only this proxy answers).
 * A TCP connection first tells whether anything listens: only then is
 * node:http loaded (proxy-health.ts) to ask, so `status` with no proxy
 * running does not pay for it.
 */

export interface ProxyProbe {
  status: ProxyStatusFile | null;
  /** The address probed: the status file's, else the configured one. */
  url: string;
  pidAlive: boolean;
  /** The port answered the health endpoint as this proxy. */
  answering: boolean;
  /** The pid the health endpoint reported. */
  healthPid: number | null;
  /** The data directory of the proxy that answered (null: none answered, or an older proxy). */
  healthDataDir: string | null;
  /** A proxy of this project answered, but it uses another data directory than the configured one. */
  otherDataDir: boolean;
  /** Something accepts connections on the port but does not answer as this proxy. */
  foreign: boolean;
  /** This data directory's proxy is running. */
  running: boolean;
}

async function askHealth(url: string, token: string | undefined, timeoutMs: number): Promise<Health | null> {
  return (await import("./proxy-health.js")).askHealth(url, token, timeoutMs);
}

/** Whether anything accepts a TCP connection on host:port. */
function portHeld(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) });
    const done = (held: boolean) => {
      socket.destroy();
      resolve(held);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function probeHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export async function probeProxy(config: Config, timeoutMs = 1500): Promise<ProxyProbe> {
  const status = readProxyStatus(config.dataDir);
  const url =
    status?.running && status.port
      ? `http://${probeHost(status.host)}:${status.port}`
      : `http://${probeHost(config.proxy.host)}:${config.proxy.port}`;
  const alive = status?.running ? pidAlive(status.pid) : false;
  const held = await portHeld(url, timeoutMs);
  const health = held ? await askHealth(url, config.proxy.authToken, timeoutMs) : null;
  const otherDataDir = health?.dataDir != null && resolvePath(health.dataDir) !== resolvePath(config.dataDir);
  const foreign = held && health === null;
  const answering = health !== null && !otherDataDir;
  return {
    status,
    url,
    pidAlive: alive,
    answering,
    healthPid: health?.pid ?? null,
    healthDataDir: health?.dataDir ?? null,
    otherDataDir,
    foreign,
    running: answering || (alive && !otherDataDir && !foreign),
  };
}

/** Who answers on `url`: a proxy of this project (its pid and data directory), another program, or nobody. */
export async function whoHolds(
  url: string,
  token: string | undefined,
  timeoutMs = 1500,
): Promise<{ kind: "proxy"; pid: number; dataDir: string | null } | { kind: "foreign" } | { kind: "free" }> {
  if (!(await portHeld(url, timeoutMs))) return { kind: "free" };
  const health = await askHealth(url, token, timeoutMs);
  return health ? { kind: "proxy", ...health } : { kind: "foreign" };
}

/** The URL to probe for a proxy listening on host:port. */
export function probeUrl(host: string, port: number): string {
  return `http://${probeHost(host)}:${port}`;
}

import * as http from "node:http";
import { connect } from "node:net";
import { resolve as resolvePath } from "node:path";
import {
  HEALTH_PATH,
  type ProxyStatusFile,
  pidAlive,
  readProxyStatus,
} from "../../capture/proxy/proxy-status.js";
import type { Config } from "../../core/config.js";

/**
 * Is the proxy running? Reads `proxy-status.json` (pid, address), checks the
 * pid, and asks the port's health endpoint (which only this proxy answers).
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

interface Health {
  pid: number;
  dataDir: string | null;
}

function askHealth(url: string, token: string | undefined, timeoutMs: number): Promise<Health | null> {
  return new Promise((resolve) => {
    const u = new URL(HEALTH_PATH, url);
    const req = http.get(
      {
        hostname: u.hostname.replace(/^\[|\]$/g, ""),
        port: u.port,
        path: u.pathname,
        headers: token ? { "proxy-authorization": `Bearer ${token}` } : {},
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (body.length < 4096) body += d;
        });
        res.on("end", () => {
          try {
            const parsed = JSON.parse(body) as { service?: string; pid?: number; dataDir?: unknown };
            resolve(
              res.statusCode === 200 && parsed.service === "mcp-mitm-mem0"
                ? {
                    pid: parsed.pid ?? -1,
                    dataDir: typeof parsed.dataDir === "string" ? parsed.dataDir : null,
                  }
                : null,
            );
          } catch {
            resolve(null);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
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
  const health = await askHealth(url, config.proxy.authToken, timeoutMs);
  const otherDataDir = health?.dataDir != null && resolvePath(health.dataDir) !== resolvePath(config.dataDir);
  const foreign = health === null && (await portHeld(url, timeoutMs));
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
  const health = await askHealth(url, token, timeoutMs);
  if (health) return { kind: "proxy", ...health };
  return (await portHeld(url, timeoutMs)) ? { kind: "foreign" } : { kind: "free" };
}

/** The URL to probe for a proxy listening on host:port. */
export function probeUrl(host: string, port: number): string {
  return `http://${probeHost(host)}:${port}`;
}

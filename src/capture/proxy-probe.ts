import * as http from "node:http";
import type { Config } from "../core/config.js";
import { HEALTH_PATH, type ProxyStatusFile, pidAlive, readProxyStatus } from "./proxy-status.js";

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
  running: boolean;
}

function askHealth(url: string, token: string | undefined, timeoutMs: number): Promise<number | null> {
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
            const parsed = JSON.parse(body) as { service?: string; pid?: number };
            resolve(res.statusCode === 200 && parsed.service === "mcp-mitm-mem0" ? (parsed.pid ?? -1) : null);
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
  const healthPid = await askHealth(url, config.proxy.authToken, timeoutMs);
  return {
    status,
    url,
    pidAlive: alive,
    answering: healthPid !== null,
    healthPid,
    running: healthPid !== null || alive,
  };
}

import * as http from "node:http";
import { HEALTH_PATH } from "../../capture/proxy/proxy-status.js";

/**
 * The proxy's health endpoint, asked by proxy-probe.ts once something accepts
 * connections on the port (node:http loads only then).
 */

export interface Health {
  pid: number;
  dataDir: string | null;
}

export function askHealth(url: string, token: string | undefined, timeoutMs: number): Promise<Health | null> {
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

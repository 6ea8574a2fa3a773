import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../files/atomic-write.js";
import type { ProxyStats } from "../capture-stats.js";

/**
 * `<dataDir>/proxy-status.json`: written by the running proxy (every few
 * seconds and at shutdown) so that `status` and `doctor` in another shell can
 * tell where it listens and what it has done. Numbers and addresses only.
 */

/** The proxy answers this path itself (only this proxy does), for `status` and `doctor`. */
export const HEALTH_PATH = "/__mcp-mitm-mem0/health";

export interface ProxyStatusFile {
  pid: number;
  running: boolean;
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  caPath: string;
  /** The upstream without credentials. */
  upstream: string;
  authRequired: boolean;
  startedAt: string;
  updatedAt: string;
  stats: ProxyStats;
}

export function proxyStatusPath(dataDir: string): string {
  return join(dataDir, "proxy-status.json");
}

export function writeProxyStatus(dataDir: string, status: ProxyStatusFile): void {
  const path = proxyStatusPath(dataDir);
  writeFileAtomic(path, `${JSON.stringify(status, null, 2)}\n`);
}

export function readProxyStatus(dataDir: string): ProxyStatusFile | null {
  const path = proxyStatusPath(dataDir);
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as ProxyStatusFile;
    return typeof parsed.pid === "number" && typeof parsed.port === "number" ? parsed : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (and we may signal it). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The upstream URL without user info, for display. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

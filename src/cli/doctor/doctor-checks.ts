import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { isLoopbackHost } from "../../capture/proxy/proxy-auth.js";
import { CA_EXPIRY_WARN_DAYS, caPaths, describeCa } from "../../capture/tls/ca.js";
import { bundleContains } from "../../capture/tls/ca-bundle.js";
import { hostWithin } from "../../capture/tls/x509.js";
import type { Config } from "../../core/config.js";
import { errorMessage, isMemoryError } from "../../core/errors.js";
import { maskTokens } from "../../core/token-mask.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { ProxyProbe } from "./proxy-probe.js";

/**
 * The checks behind `doctor`. Each passes, or fails with what to run to fix
 * it. No check prints a key or a token.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** The command (or step) that fixes a failed check. */
  fix?: string | undefined;
}

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

function tooOpen(path: string): boolean {
  return process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0;
}

export function checkCa(config: Config): Check[] {
  const d = describeCa(config.dataDir);
  const paths = caPaths(config.dataDir);
  if (!d) {
    return [
      fail(
        "ca",
        `no CA at ${paths.cert}`,
        "mcp-mitm-mem0 ca path   # creates it (so does mcp-mitm-mem0 start)",
      ),
    ];
  }
  const checks: Check[] = [];
  const uncovered = config.proxy.interceptHosts.filter((h) => !hostWithin(h, d.permittedHosts));
  if (d.daysLeft < 0) checks.push(fail("ca", `the CA expired on ${d.notAfter}`, "mcp-mitm-mem0 ca rotate"));
  else if (d.daysLeft < CA_EXPIRY_WARN_DAYS) {
    checks.push(
      fail("ca", `the CA expires in ${d.daysLeft} days (${d.notAfter})`, "mcp-mitm-mem0 ca rotate"),
    );
  } else if (uncovered.length > 0) {
    checks.push(
      fail(
        "ca",
        `the CA does not cover ${uncovered.join(", ")} (INTERCEPT_HOSTS)`,
        "mcp-mitm-mem0 ca rotate",
      ),
    );
  } else {
    checks.push(
      pass(
        "ca",
        `${d.path}, SHA-256 ${d.fingerprintSha256.slice(0, 23)}…, ${d.daysLeft} days left, limited to ${d.permittedHosts.join(", ")}`,
      ),
    );
  }
  if (!existsSync(paths.key)) {
    checks.push(fail("ca key", `the CA key ${paths.key} is missing`, "mcp-mitm-mem0 ca rotate"));
  } else if (tooOpen(paths.dir) || tooOpen(paths.key)) {
    checks.push(
      fail(
        "ca key",
        "the CA directory or key is readable by other users",
        `chmod 700 ${paths.dir} && chmod 600 ${paths.key}`,
      ),
    );
  } else checks.push(pass("ca key", "directory 0700, key 0600"));
  return checks;
}

/** The `.env` the configuration was read from (null: none of this tool's was found). */
export function checkEnvFile(path: string | null): Check {
  if (path === null || !existsSync(path))
    return pass(".env", "no .env of this tool (configuration from the environment)");
  if (tooOpen(path))
    return fail(".env", `${path} is readable by other users (it may hold MEM0_API_KEY)`, `chmod 600 ${path}`);
  return pass(".env", `${path} is private (0600)`);
}

/** `notNeeded`: why Claude Code is captured without the proxy (transcripts watched), so that its being down is no failure. */
export function checkProxy(probe: ProxyProbe, notNeeded: string | null = null): Check {
  if (probe.answering) return pass("proxy", `listening on ${probe.url} (pid ${probe.healthPid})`);
  if (probe.otherDataDir) {
    return fail(
      "proxy",
      `${probe.url} is the proxy of another data directory (pid ${probe.healthPid}, data dir ${probe.healthDataDir}), not of this one`,
      "use that data directory (--data-dir or MEMORY_DATA_DIR), or start this one on another port: mcp-mitm-mem0 start --port 0",
    );
  }
  if (probe.foreign) {
    return fail(
      "proxy",
      `another program (not this proxy) holds ${probe.url}`,
      "start the proxy on another port: mcp-mitm-mem0 start --port 0 (or set MITM_PORT)",
    );
  }
  if (probe.pidAlive) {
    return fail(
      "proxy",
      `pid ${probe.status?.pid} is alive but ${probe.url} does not answer as the proxy`,
      "restart it: stop that process, then mcp-mitm-mem0 start",
    );
  }
  if (notNeeded) return pass("proxy", `not running on ${probe.url}; not needed: ${notNeeded}`);
  return fail("proxy", `nothing answers on ${probe.url}`, "mcp-mitm-mem0 start");
}

/** host:port of a URL, with loopback names made equal. */
function origin(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url.includes("://") ? url : `http://${url}`);
    const host = isLoopbackHost(u.hostname) ? "loopback" : u.hostname.toLowerCase();
    return `${host}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  } catch {
    return null;
  }
}

function mentionsLoopback(noProxy: string | undefined): boolean {
  const items = (noProxy ?? "").split(",").map((s) => s.trim().toLowerCase());
  return items.includes("*") || (items.includes("127.0.0.1") && items.includes("localhost"));
}

/**
 * Whether this shell routes Claude Code through the proxy, one way or the
 * other. `capturedBy`: how Claude Code is captured without this shell's
 * variables (its own settings route it, or its transcripts are watched).
 */
export function checkShellRouting(
  env: NodeJS.ProcessEnv,
  proxyUrl: string,
  caPath: string,
  capturedBy: string | null = null,
): Check[] {
  const name = "shell";
  const want = origin(proxyUrl);
  const base = env.ANTHROPIC_BASE_URL;
  const https = env.HTTPS_PROXY ?? env.https_proxy;
  const other = env.HTTP_PROXY ?? env.http_proxy;
  const extra = env.NODE_EXTRA_CA_CERTS;
  const reverse = origin(base) === want;
  const forward = origin(https) === want;
  // The proxy's CA itself, or a bundle that holds it (a corporate bundle combined with it).
  const caOk =
    extra !== undefined &&
    extra !== "" &&
    (resolve(extra) === resolve(caPath) || bundleContains(extra, caPath));
  const checks: Check[] = [];
  if (reverse) checks.push(pass(name, `ANTHROPIC_BASE_URL points at the proxy (${maskTokens(base ?? "")})`));
  if (forward && caOk)
    checks.push(pass(name, "HTTPS_PROXY points at the proxy and NODE_EXTRA_CA_CERTS at its CA"));
  if (forward && !caOk) {
    checks.push(
      fail(
        name,
        extra
          ? `NODE_EXTRA_CA_CERTS is ${extra}, which does not hold the proxy's CA (keep it: the fix trusts a copy of it plus the proxy's CA)`
          : "HTTPS_PROXY points at the proxy but NODE_EXTRA_CA_CERTS is not set",
        extra
          ? `export NODE_EXTRA_CA_CERTS="$(mcp-mitm-mem0 ca bundle --with ${extra})"`
          : `export NODE_EXTRA_CA_CERTS=${caPath}`,
      ),
    );
  }
  if (base && !reverse) {
    checks.push(
      fail(
        name,
        `ANTHROPIC_BASE_URL is ${maskTokens(base)}, not the proxy`,
        `export ANTHROPIC_BASE_URL=${proxyUrl}`,
      ),
    );
  }
  if (!reverse && !forward && !base && capturedBy) {
    checks.push(pass(name, `no routing variables in this shell; not needed for Claude Code: ${capturedBy}`));
  } else if (!reverse && !forward && !base) {
    checks.push(
      fail(
        name,
        "neither ANTHROPIC_BASE_URL nor HTTPS_PROXY points at the proxy in this shell",
        `export ANTHROPIC_BASE_URL=${proxyUrl}   # or: export HTTPS_PROXY=${proxyUrl} NODE_EXTRA_CA_CERTS=${caPath}; for Claude Code once and for all: mcp-mitm-mem0 setup claude-code`,
      ),
    );
  }
  const corporate = [https, other].some((p) => p !== undefined && p !== "" && origin(p) !== want);
  if (reverse && corporate && !mentionsLoopback(env.NO_PROXY ?? env.no_proxy)) {
    checks.push(
      fail(
        name,
        "an HTTP(S)_PROXY is set and NO_PROXY does not exempt loopback: base-URL traffic would go to it",
        "export NO_PROXY=127.0.0.1,localhost",
      ),
    );
  }
  return checks;
}

/** What to run when the store's check fails, by backend and error code. */
function storeFix(backend: string | undefined, code: string): string {
  if (code === "AUTH_REJECTED") return "create a key at https://app.mem0.ai and set MEM0_API_KEY in .env";
  if (code === "SCHEMA_TOO_NEW") return "upgrade mcp-mitm-mem0 to the release that wrote this store";
  if (backend === "mem0" || code === "UPSTREAM_UNREACHABLE") {
    return code === "UPSTREAM_UNREACHABLE"
      ? "check the network, or MEM0_BASE_URL"
      : "retry later, or check MEM0_BASE_URL";
  }
  if (backend === "postgres") return "check DATABASE_URL and that the PostgreSQL server is running";
  return "check MEMORY_DATA_DIR (or --data-dir) is writable; for Mem0 check MEM0_API_KEY / MEM0_BASE_URL";
}

/**
 * Opens the configured store and runs its health check (for Mem0, a ping that
 * checks the key; never shown), then reads one page (cheap on every backend:
 * Mem0's stats() walks every memory's history).
 */
export async function checkStore(open: () => Promise<MemoryStore>, userId: string): Promise<Check> {
  let store: MemoryStore | undefined;
  try {
    store = await open();
    const health = await store.health();
    const page = await store.list({ filters: { user_id: userId }, limit: 100 });
    const n = page.next_cursor ? "100+" : String(page.memories.length);
    return pass(
      "store",
      `${store.backend}: opens and answers (${n} memories of ${userId}), ${health.detail}`,
    );
  } catch (e) {
    const code = isMemoryError(e) ? e.code : "error";
    const what = store ? `the ${store.backend} store does not answer` : "the store does not open";
    return fail("store", `${what}: ${errorMessage(e)}`, storeFix(store?.backend, code));
  }
}

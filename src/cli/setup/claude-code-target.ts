/**
 * What `setup claude-code` aims at, shared by `setup` (which writes it) and
 * `doctor` (which checks it), so that the two never disagree: where Claude
 * Code keeps its files, the proxy's address as setup writes it, which
 * values are ours, and the inputs of the pure wants in core/claude-setup.
 */
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";
import type { Route, Scope, SetupInputs } from "../../core/claude-setup.js";
import type { Config } from "../../core/config.js";
import { carriedEnv, carriedGlobalArgs } from "../carry.js";

/** Where Claude Code keeps what setup changes, for one scope. */
export function claudeCodeFiles(
  scope: Scope,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { settings: string; mcp: string; local: string | null } {
  const home = env.HOME?.trim() || homedir();
  const configDir = env.CLAUDE_CONFIG_DIR?.trim() ? resolve(env.CLAUDE_CONFIG_DIR.trim()) : null;
  if (scope === "project") {
    return {
      settings: join(cwd, ".claude", "settings.json"),
      mcp: join(cwd, ".mcp.json"),
      local: join(cwd, ".claude", "settings.local.json"),
    };
  }
  return {
    settings: join(configDir ?? join(home, ".claude"), "settings.json"),
    // With CLAUDE_CONFIG_DIR, Claude Code keeps its global state file in that folder.
    mcp: configDir ? join(configDir, ".claude.json") : join(home, ".claude.json"),
    local: null,
  };
}

function loopbackHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === ""
    ? "127.0.0.1"
    : host.includes(":")
      ? `[${host}]`
      : host;
}

/** host:port of a URL, loopback names made equal (null: not a URL). */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url.includes("://") ? url : `http://${url}`);
    const host = ["127.0.0.1", "localhost", "[::1]", "::1"].includes(u.hostname) ? "loopback" : u.hostname;
    return `${host}:${u.port || "80"}`;
  } catch {
    return null;
  }
}

export function hasLoopback(noProxy: string | undefined): boolean {
  const items = (noProxy ?? "").split(",").map((s) => s.trim().toLowerCase());
  return items.includes("*") || (items.includes("127.0.0.1") && items.includes("localhost"));
}

/** The proxy as setup writes it into Claude Code's `env`: its URL, the base URL and HTTPS_PROXY (with the token, if one is needed). */
export function proxyTarget(config: Config): {
  host: string;
  proxyUrl: string;
  baseUrl: string;
  httpsProxy: string;
} {
  const host = loopbackHost(config.proxy.host);
  const proxyUrl = `http://${host}:${config.proxy.port}`;
  const token = config.proxy.authToken;
  return {
    host,
    proxyUrl,
    baseUrl: token ? `${proxyUrl}/t/${token}` : proxyUrl,
    httpsProxy: token ? `http://mcp:${token}@${host}:${config.proxy.port}` : proxyUrl,
  };
}

/** Whether a routing value is ours: points at this proxy, or (NODE_EXTRA_CA_CERTS) at a file of its CA directory. */
export function ourValueTest(caDir: string, proxyUrl: string): (key: string, value: string) => boolean {
  return (key, value) =>
    key === "NODE_EXTRA_CA_CERTS"
      ? resolve(value).startsWith(caDir + sep)
      : originOf(value) !== null && originOf(value) === originOf(proxyUrl);
}

/** NO_PROXY setup writes: loopback added when a corporate proxy is set and NO_PROXY does not exempt loopback yet. */
export function noProxyToWrite(
  settingsEnv: Record<string, unknown>,
  shellEnv: NodeJS.ProcessEnv,
  isOurs: (key: string, value: string) => boolean,
): string | undefined {
  const corporate = [settingsEnv.HTTPS_PROXY, shellEnv.HTTPS_PROXY, shellEnv.HTTP_PROXY].find(
    (v): v is string => typeof v === "string" && v !== "" && !isOurs("HTTPS_PROXY", v),
  );
  const noProxyNow = (settingsEnv.NO_PROXY as string | undefined) ?? shellEnv.NO_PROXY;
  return corporate && !hasLoopback(noProxyNow)
    ? [noProxyNow, "127.0.0.1", "localhost"].filter(Boolean).join(",")
    : undefined;
}

/** The inputs of the wants, for the command running now (its Node, its CLI, its data directory and variables). */
export function setupInputs(options: {
  config: Config;
  envFile: string | null;
  scope: Scope;
  route: Route;
  serverName: string;
  caBundle: string;
  settingsEnv: Record<string, unknown>;
  shellEnv: NodeJS.ProcessEnv;
}): SetupInputs {
  const { config } = options;
  const target = proxyTarget(config);
  const isOurs = ourValueTest(join(config.dataDir, "ca"), target.proxyUrl);
  return {
    scope: options.scope,
    route: options.route,
    serverName: options.serverName,
    nodePath: process.execPath,
    cliPath: realpathSync(process.argv[1] ?? ""),
    globalArgs: carriedGlobalArgs(options.envFile, config.dataDir, options.shellEnv),
    env: carriedEnv(options.shellEnv, config.dataDir).env,
    proxyUrl: target.proxyUrl,
    baseUrl: target.baseUrl,
    httpsProxy: target.httpsProxy,
    caBundle: options.caBundle,
    noProxy: noProxyToWrite(options.settingsEnv, options.shellEnv, isOurs),
    isOurs,
  };
}

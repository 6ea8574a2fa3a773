/**
 * `setup claude-code`: configures the real Claude Code in one step —
 * routing through the proxy in its settings' `env`, the MCP server
 * registered as `claude mcp add` writes it, the read tools allowed, the
 * hooks — idempotently, with a backup of every file it changes; `--undo`
 * puts back what was there, `--dry-run` only shows the changes.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";
import { Option } from "commander";
import {
  approvalWants,
  type JsonObject,
  mcpWants,
  parseJsonObject,
  type Route,
  type Scope,
  type SetupInputs,
  settingsWants,
} from "../../core/claude-setup.js";
import { ENV_VARS } from "../../core/config.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { defaultConfigDir } from "../load-config.js";
import type { ManagedFile } from "../setup/claude-code.js";
import { describeCommand } from "./catalog.js";

interface ClaudeCodeFlags {
  scope: Scope;
  route: Route;
  name: string;
  dryRun?: boolean;
  undo?: boolean;
}

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

/** Variables that hold a secret: never written into Claude Code's files. */
const isSecret = (name: string) => /KEY|TOKEN/.test(name);
/** Variables the commands setup writes do not need (Claude Code's own, or this shell's log level). */
const NOT_CARRIED = new Set(["MEMORY_DATA_DIR", "CLAUDE_CONFIG_DIR", "MEMORY_LOG_LEVEL"]);

/** The variables of this command's configuration that the written commands need, and the secrets left out. */
export function carriedEnv(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): { env: Record<string, string>; secrets: string[] } {
  const out: Record<string, string> = { MEMORY_DATA_DIR: dataDir };
  const secrets: string[] = [];
  for (const name of Object.keys(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || NOT_CARRIED.has(name)) continue;
    if (isSecret(name)) secrets.push(name);
    else out[name] = value;
  }
  return { env: out, secrets };
}

function loopbackHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === ""
    ? "127.0.0.1"
    : host.includes(":")
      ? `[${host}]`
      : host;
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url.includes("://") ? url : `http://${url}`);
    const host = ["127.0.0.1", "localhost", "[::1]", "::1"].includes(u.hostname) ? "loopback" : u.hostname;
    return `${host}:${u.port || "80"}`;
  } catch {
    return null;
  }
}

function hasLoopback(noProxy: string | undefined): boolean {
  const items = (noProxy ?? "").split(",").map((s) => s.trim().toLowerCase());
  return items.includes("*") || (items.includes("127.0.0.1") && items.includes("localhost"));
}

function readJson(path: string): JsonObject {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return parseJsonObject(text, path);
}

async function setupClaudeCode(ctx: CliContext, flags: ClaudeCodeFlags): Promise<void> {
  const config = ctx.config();
  const dataDir = config.dataDir;
  const cwd = process.cwd();
  const files = claudeCodeFiles(flags.scope, process.env, cwd);
  const { applySetup, undoSetup, renderOutcomes } = await import("../setup/claude-code.js");
  const dryRun = flags.dryRun === true;

  if (flags.undo) {
    const inProject = (p: string) => flags.scope === "user" || p.startsWith(cwd + sep);
    const outcomes = undoSetup({ dataDir, scope: flags.scope, dryRun, select: inProject });
    if (outcomes.length === 0) {
      ctx.out(
        `nothing to undo: setup claude-code --scope ${flags.scope} has not changed any file here (record: ${join(dataDir, "setup")})`,
      );
      return;
    }
    ctx.out(renderOutcomes(outcomes, dryRun));
    if (dryRun) ctx.out("\n(dry run: nothing was written)");
    return;
  }

  const token = config.proxy.authToken;
  if (token && flags.scope === "project" && flags.route !== "none") {
    throw new UsageError(
      `PROXY_AUTH_TOKEN is set, and routing with --scope project would write it into ${files.settings}, which is shared with the project: use --scope user, or --route none`,
    );
  }
  const host = loopbackHost(config.proxy.host);
  const proxyUrl = `http://${host}:${config.proxy.port}`;
  const { caPaths, loadOrCreateCa } = await import("../../capture/ca.js");
  const { bundleContains, bundlePath, writeCombinedBundle } = await import("../../capture/ca-bundle.js");
  const ca = caPaths(dataDir);
  const notes: string[] = [];

  const settingsNow = readJson(files.settings);
  const settingsEnv = (settingsNow.env ?? {}) as Record<string, unknown>;
  const isOurs = (key: string, value: string) =>
    key === "NODE_EXTRA_CA_CERTS"
      ? resolve(value).startsWith(ca.dir + sep)
      : originOf(value) !== null && originOf(value) === originOf(proxyUrl);

  // The proxy route: NODE_EXTRA_CA_CERTS must hold the proxy's CA and keep any bundle it points at now.
  let caBundle = ca.cert;
  if (flags.route === "proxy") {
    if (!dryRun) await loadOrCreateCa(dataDir, config.proxy.interceptHosts, ctx.logger());
    else if (!existsSync(ca.cert)) notes.push(`would create the proxy's CA in ${ca.dir}`);
    const existingRaw = settingsEnv.NODE_EXTRA_CA_CERTS ?? process.env.NODE_EXTRA_CA_CERTS;
    const existing = typeof existingRaw === "string" && existingRaw !== "" ? resolve(existingRaw) : null;
    if (existing && existing !== ca.cert) {
      if (bundleContains(existing, ca.cert)) caBundle = existing;
      else if (dryRun) {
        caBundle = bundlePath(ca.dir);
        notes.push(`would write ${caBundle}: the certificates of ${existing}, then the proxy's CA`);
      } else {
        caBundle = writeCombinedBundle(ca.dir, ca.cert, existing);
        notes.push(`wrote ${caBundle}: the certificates of ${existing} (kept), then the proxy's CA`);
      }
    }
  }

  const { env: carried, secrets } = carriedEnv(process.env, dataDir);
  const envFile = ctx.envFile();
  const foundAnyway =
    envFile === null ||
    envFile === join(dataDir, ".env") ||
    envFile === join(defaultConfigDir(process.env), ".env");
  const corporate = [settingsEnv.HTTPS_PROXY, process.env.HTTPS_PROXY, process.env.HTTP_PROXY].find(
    (v): v is string => typeof v === "string" && v !== "" && !isOurs("HTTPS_PROXY", v),
  );
  const noProxyNow = (settingsEnv.NO_PROXY as string | undefined) ?? process.env.NO_PROXY;
  const inputs: SetupInputs = {
    scope: flags.scope,
    route: flags.route,
    serverName: flags.name,
    nodePath: process.execPath,
    cliPath: realpathSync(process.argv[1] ?? ""),
    globalArgs: foundAnyway ? [] : ["--config", envFile],
    env: carried,
    proxyUrl,
    baseUrl: token ? `${proxyUrl}/t/${token}` : proxyUrl,
    httpsProxy: token ? `http://mcp:${token}@${host}:${config.proxy.port}` : proxyUrl,
    caBundle,
    noProxy:
      corporate && !hasLoopback(noProxyNow)
        ? [noProxyNow, "127.0.0.1", "localhost"].filter(Boolean).join(",")
        : undefined,
    isOurs,
  };

  const managed: ManagedFile[] = [
    { path: files.settings, newFileMode: token ? 0o600 : 0o644, wants: (doc) => settingsWants(inputs, doc) },
    {
      path: files.mcp,
      newFileMode: flags.scope === "user" ? 0o600 : 0o644,
      wants: () => mcpWants(inputs),
    },
  ];
  if (files.local)
    managed.push({ path: files.local, newFileMode: 0o644, wants: () => approvalWants(inputs) });

  const outcomes = applySetup(managed, { dataDir, scope: flags.scope, dryRun });
  ctx.out(renderOutcomes(outcomes, dryRun));
  for (const n of notes) ctx.out(n);
  for (const s of secrets) {
    ctx.err(
      `note: ${s} is set in this shell but not written into Claude Code's files (a secret): put it in ${join(dataDir, ".env")} (chmod 600) so that the MCP server and the hooks find it`,
    );
  }
  const changed = outcomes.some((o) => o.status !== "unchanged");
  ctx.out(
    dryRun
      ? "\n(dry run: nothing was written)"
      : changed
        ? `\nundo with: mcp-mitm-mem0 setup claude-code --scope ${flags.scope} --undo`
        : "\nClaude Code was already set up: nothing changed",
  );
  if (flags.route !== "none") {
    ctx.out(
      "Claude Code now goes through the proxy: keep it running whenever Claude Code starts (mcp-mitm-mem0 start)",
    );
  }
}

export const registerSetupCommand: RegisterCommand = (program, ctx) => {
  const setup = program.command("setup").description(describeCommand("setup"));
  setup
    .command("claude-code")
    .description(
      "route Claude Code through the proxy, register the MCP server, allow its read tools, add the hooks (backups kept; --undo)",
    )
    .addOption(
      new Option(
        "--scope <scope>",
        "user: ~/.claude/settings.json and ~/.claude.json; project: .claude/ and .mcp.json here",
      )
        .choices(["user", "project"])
        .default("user"),
    )
    .addOption(
      new Option(
        "--route <route>",
        "base-url: ANTHROPIC_BASE_URL; proxy: HTTPS_PROXY + NODE_EXTRA_CA_CERTS; none: no routing",
      )
        .choices(["base-url", "proxy", "none"])
        .default("base-url"),
    )
    .option("--name <name>", "the MCP server's name in Claude Code (tools are mcp__<name>__<tool>)", "memory")
    .option("--dry-run", "print the changes and write nothing")
    .option("--undo", "put back what the files held before setup (only setup's entries, if edited since)")
    .action(async (flags: ClaudeCodeFlags) => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(flags.name)) {
        throw new UsageError(`--name "${flags.name}": use letters, digits, _ and - (at most 64)`);
      }
      await setupClaudeCode(ctx, flags);
    });
};

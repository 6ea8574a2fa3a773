/**
 * `doctor`'s checks of Claude Code's setup: it reads the files `setup
 * claude-code` writes (user and project scope, as Claude Code merges them)
 * and asks the same pure functions setup uses (core/claude-setup and the
 * inputs of claude-code-target) what setup would write, so that a check
 * passes exactly when Claude Code is set up as setup leaves it, or in a way
 * that works; every failure names the file and the command that fixes it.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { caPaths } from "../../capture/tls/ca.js";
import { bundleContains } from "../../capture/tls/ca-bundle.js";
import {
  applyWants,
  type CommandParts,
  HOOK_EVENTS,
  hookCommandParts,
  isOurHookGroup,
  isOurMcpEntry,
  type JsonObject,
  maskValue,
  mcpEntryParts,
  parseJsonObject,
  type Route,
  type Scope,
  settingsWants,
} from "../../core/claude-setup.js";
import type { Config } from "../../core/config.js";
import { isMemoryError } from "../../core/errors.js";
import type { Check } from "../doctor/doctor-checks.js";
import type { ProxyProbe } from "../doctor/proxy-probe.js";
import { defaultDataDir, readEnvFile } from "../load-config.js";
import { claudeCodeFiles, originOf, proxyTarget, setupInputs } from "./claude-code-target.js";
import { renderCommand, serviceCommands, serviceFilePath } from "./service.js";

export interface ClaudeDoctorInput {
  config: Config;
  envFile: string | null;
  env: NodeJS.ProcessEnv;
  cwd: string;
  probe: ProxyProbe;
  /** The transcript watcher, when one is running for this data directory. */
  watchPid: number | null;
  platform: NodeJS.Platform;
}

export interface ClaudeDoctorResult {
  checks: Check[];
  /** How Claude Code is captured without this shell's variables (null: it is not). */
  capturedBy: string | null;
  /** Why the proxy is not needed (Claude Code unrouted, its transcripts watched), or null. */
  proxyNotNeeded: string | null;
}

type Where = "user" | "project" | "local";
interface Source {
  path: string;
  where: Where;
  doc: JsonObject;
}

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

const NAMES = {
  settings: "claude code settings",
  setup: "claude code",
  routing: "claude code routing",
  proxy: "claude code proxy",
  mcp: "claude code mcp",
  permissions: "claude code permissions",
  hooks: "claude code hooks",
} as const;

/** Reads a JSON file: null when absent; a malformed one is a failed check naming file:line:column. */
function readDoc(path: string): { doc: JsonObject | null; problem: Check | null } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { doc: null, problem: null };
    return {
      doc: null,
      problem: fail(
        NAMES.settings,
        `cannot read ${path} (${code ?? "error"})`,
        `ls -l ${path}   # and fix its permissions`,
      ),
    };
  }
  try {
    return { doc: parseJsonObject(text, path), problem: null };
  } catch (e) {
    if (!isMemoryError(e)) throw e;
    // "file:line:col: what; what setup would do" — doctor keeps the place and the what.
    const where = e.message.split("; ")[0] ?? e.message;
    return {
      doc: null,
      problem: fail(
        NAMES.settings,
        `${where} — Claude Code cannot use this file as it is; the other Claude Code checks wait for it`,
        `fix the JSON at ${where.split(": ")[0]} (or move the file away), then run doctor again`,
      ),
    };
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Whether a program can be started: an absolute path that is executable, or a name found on PATH. */
function runnable(program: string, env: NodeJS.ProcessEnv): boolean {
  const canRun = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes("/")) return canRun(program);
  return (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && canRun(join(dir, program)));
}

/** What is wrong with a command setup wrote (an MCP entry or a hook): a missing Node or CLI, another data directory. */
function commandProblems(parts: CommandParts, input: ClaudeDoctorInput): string[] {
  const problems: string[] = [];
  if (!runnable(parts.program, input.env)) {
    problems.push(
      parts.program.includes("/")
        ? `${parts.program} does not exist or cannot run (Node moved or was upgraded?)`
        : `${parts.program} is not on PATH`,
    );
  }
  if (parts.cliPath !== null && !existsSync(parts.cliPath)) {
    problems.push(`the CLI ${parts.cliPath} does not exist (the checkout moved, or dist/ was not built?)`);
  }
  let dataDir = parts.dataDir;
  if (dataDir === null && parts.configFile !== null) {
    try {
      dataDir = readEnvFile(parts.configFile)?.values.MEMORY_DATA_DIR ?? null;
    } catch {
      problems.push(`its --config file ${parts.configFile} cannot be read`);
    }
  }
  const theirs = resolve(dataDir ?? defaultDataDir({ ...input.env, MEMORY_DATA_DIR: undefined }));
  if (theirs !== resolve(input.config.dataDir)) {
    problems.push(
      `it uses the data directory ${theirs}, not ${input.config.dataDir} (the one doctor checks)`,
    );
  }
  return problems;
}

function describeParts(parts: CommandParts): string {
  return [parts.program, parts.cliPath].filter(Boolean).join(" ");
}

/** The merged view Claude Code has of its settings files (user, then project, then local: later ones win for `env`). */
function mergeSettings(sources: Source[]): {
  doc: JsonObject;
  envFrom: Record<string, string>;
  hooksFrom: Map<unknown, string>;
} {
  const env: JsonObject = {};
  const envFrom: Record<string, string> = {};
  const allow: unknown[] = [];
  const deny: unknown[] = [];
  const hooks: Record<string, unknown[]> = {};
  const hooksFrom = new Map<unknown, string>();
  let disableAllHooks: string | null = null;
  for (const s of sources) {
    if (isObject(s.doc.env)) {
      for (const [k, v] of Object.entries(s.doc.env)) {
        env[k] = v;
        envFrom[k] = s.path;
      }
    }
    const perms = s.doc.permissions;
    if (isObject(perms)) {
      if (Array.isArray(perms.allow)) allow.push(...perms.allow);
      if (Array.isArray(perms.deny)) for (const d of perms.deny) deny.push({ rule: d, file: s.path });
    }
    if (isObject(s.doc.hooks)) {
      for (const [event, groups] of Object.entries(s.doc.hooks)) {
        if (!Array.isArray(groups)) continue;
        hooks[event] = [...(hooks[event] ?? []), ...groups];
        for (const g of groups) hooksFrom.set(g, s.path);
      }
    }
    if (s.doc.disableAllHooks === true) disableAllHooks = s.path;
  }
  return {
    doc: { env, permissions: { allow, deny }, hooks, disableAllHooks },
    envFrom,
    hooksFrom,
  };
}

interface FoundServer {
  name: string;
  where: Where;
  file: string;
  entry: JsonObject;
  approved: boolean;
}

/** This tool's MCP server as Claude Code finds it: local (~/.claude.json projects[cwd]) over project (.mcp.json) over user. */
function findServer(
  claudeJson: JsonObject | null,
  claudeJsonPath: string,
  mcpJson: JsonObject | null,
  mcpJsonPath: string,
  sources: Source[],
  cwd: string,
): FoundServer | null {
  const approvedNames = new Set<string>();
  const disabledNames = new Set<string>();
  let all = false;
  for (const s of sources) {
    for (const n of strings(s.doc.enabledMcpjsonServers)) approvedNames.add(n);
    for (const n of strings(s.doc.disabledMcpjsonServers)) disabledNames.add(n);
    if (s.doc.enableAllProjectMcpServers === true) all = true;
  }
  const projects = claudeJson?.projects;
  const local = isObject(projects) && isObject(projects[cwd]) ? projects[cwd].mcpServers : undefined;
  const scopes: [Where, unknown, string][] = [
    ["local", local, claudeJsonPath],
    ["project", mcpJson?.mcpServers, mcpJsonPath],
    ["user", claudeJson?.mcpServers, claudeJsonPath],
  ];
  const approved = (where: Where, name: string) =>
    where !== "project" || ((all || approvedNames.has(name)) && !disabledNames.has(name));
  for (const [where, servers, file] of scopes) {
    if (!isObject(servers)) continue;
    for (const [name, entry] of Object.entries(servers)) {
      if (isObject(entry) && isOurMcpEntry(entry))
        return { name, where, file, entry, approved: approved(where, name) };
    }
  }
  // `mcp --http` registered by hand (claude mcp add --transport http memory URL): a URL, no command to check.
  for (const [where, servers, file] of scopes) {
    const entry = isObject(servers) ? servers.memory : undefined;
    if (isObject(entry) && typeof entry.url === "string")
      return { name: "memory", where, file, entry, approved: approved(where, "memory") };
  }
  return null;
}

/** The systemd unit or launchd agent `setup service` writes, and whether it starts at login. */
function serviceState(input: ClaudeDoctorInput): {
  file: string | null;
  state: "none" | "written" | "enabled";
  enable: string[];
} {
  const platform = input.platform === "darwin" ? "macos" : input.platform === "linux" ? "linux" : null;
  if (platform === null) return { file: null, state: "none", enable: [] };
  const home = input.env.HOME?.trim() || "/";
  const configHome = input.env.XDG_CONFIG_HOME?.trim() || join(home, ".config");
  const file = serviceFilePath(platform, home, configHome);
  const enable = serviceCommands(platform, file).enable.map(renderCommand);
  if (!existsSync(file)) return { file, state: "none", enable };
  // launchd loads every agent of ~/Library/LaunchAgents at login; systemd needs the link `enable` makes.
  const enabled =
    platform === "macos" || existsSync(join(dirname(file), "default.target.wants", basename(file)));
  return { file, state: enabled ? "enabled" : "written", enable };
}

/** `mcp-mitm-mem0 [--data-dir D]` as the person would type it to act on the data directory doctor checked. */
function cliWord(input: ClaudeDoctorInput): string {
  const dflt = defaultDataDir({ ...input.env, MEMORY_DATA_DIR: undefined });
  return resolve(input.config.dataDir) === resolve(dflt)
    ? "mcp-mitm-mem0"
    : `mcp-mitm-mem0 --data-dir ${input.config.dataDir}`;
}

/** Every check of Claude Code's setup; not set up at all is one informational line. */
export function checkClaudeCode(input: ClaudeDoctorInput): ClaudeDoctorResult {
  const { config, env, cwd } = input;
  const user = claudeCodeFiles("user", env, cwd);
  const project = claudeCodeFiles("project", env, cwd);
  const settingsPaths: [Where, string][] = [
    ["user", user.settings],
    ["project", project.settings],
    ["local", project.local as string],
  ];
  const problems: Check[] = [];
  const sources: Source[] = [];
  const seen = new Set<string>();
  for (const [where, path] of settingsPaths) {
    // In the home folder, the project's .claude/settings.json is the user's.
    if (seen.has(path)) continue;
    seen.add(path);
    const r = readDoc(path);
    if (r.problem) problems.push(r.problem);
    if (r.doc) sources.push({ path, where, doc: r.doc });
  }
  const claudeJson = readDoc(user.mcp);
  const mcpJson = readDoc(project.mcp);
  for (const r of [claudeJson, mcpJson]) if (r.problem) problems.push(r.problem);
  if (problems.length > 0) return { checks: problems, capturedBy: null, proxyNotNeeded: null };

  const merged = mergeSettings(sources);
  const mergedEnv = merged.doc.env as Record<string, unknown>;
  const server = findServer(claudeJson.doc, user.mcp, mcpJson.doc, project.mcp, sources, cwd);
  const serverName = server?.name ?? "memory";
  const target = proxyTarget(config);
  const ca = caPaths(config.dataDir);

  // The route in use: Claude Code's settings first (they win over the shell's variables), then this shell's.
  const routingValue = (key: string): { value: string; from: string } | null => {
    const v = mergedEnv[key];
    if (typeof v === "string" && v !== "") return { value: v, from: merged.envFrom[key] ?? "settings" };
    const s = env[key];
    return s ? { value: s, from: "this shell" } : null;
  };
  const base = routingValue("ANTHROPIC_BASE_URL");
  const https = routingValue("HTTPS_PROXY");
  const ours = (url: string) => originOf(url) !== null && originOf(url) === originOf(target.proxyUrl);
  const route: Route = base ? "base-url" : https && ours(https.value) ? "proxy" : "none";
  const extra = routingValue("NODE_EXTRA_CA_CERTS");
  const caBundle =
    extra && existsSync(extra.value) && bundleContains(resolve(extra.value), ca.cert)
      ? resolve(extra.value)
      : ca.cert;

  const inProject = (file: string) =>
    file === project.settings || file === project.local || file === project.mcp;
  const ourHooks = HOOK_EVENTS.flatMap((event) =>
    ((merged.doc.hooks as Record<string, unknown[]>)[event] ?? []).filter((g) => isOurHookGroup(g, event)),
  );
  const allow = strings((merged.doc.permissions as JsonObject).allow);
  const ourRules = allow.filter((r) => r === `mcp__${serverName}` || r.startsWith(`mcp__${serverName}__`));
  const routedHere = base && ours(base.value) ? base : https && ours(https.value) ? https : null;
  const scope: Scope =
    (server && server.where === "project") ||
    ourHooks.some((g) => inProject(merged.hooksFrom.get(g) ?? "")) ||
    (routedHere !== null && inProject(routedHere.from))
      ? "project"
      : "user";
  const setupFlags = [
    scope === "project" ? "--scope project" : "",
    route === "proxy" ? "--route proxy" : "",
    serverName !== "memory" ? `--name ${serverName}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const cli = cliWord(input);
  const setupCommand = `${cli} setup claude-code${setupFlags ? ` ${setupFlags}` : ""}`;

  const routedBySettings = routedHere !== null && routedHere.from !== "this shell";
  if (!server && ourHooks.length === 0 && ourRules.length === 0 && !routedBySettings) {
    const elsewhere =
      base && !ours(base.value) ? `; ANTHROPIC_BASE_URL is ${maskValue(base.value)} (${base.from})` : "";
    return {
      checks: [
        pass(
          NAMES.setup,
          `not set up for memory (no routing, MCP server, permissions or hooks of this tool in ${user.settings}, ${user.mcp} or this folder's .claude/, .mcp.json${elsewhere}) — to set it up: ${cli} setup claude-code`,
        ),
      ],
      capturedBy: null,
      proxyNotNeeded: null,
    };
  }

  const inputs = setupInputs({
    config,
    envFile: input.envFile,
    scope,
    route,
    serverName,
    caBundle,
    settingsEnv: mergedEnv,
    shellEnv: env,
  });
  const wants = settingsWants(inputs, merged.doc);
  const checks: Check[] = [];

  // Routing: what setup would set in `env` for this route is already there.
  const envChanges = applyWants(
    merged.doc,
    wants.filter((w) => w.kind === "set" && w.path[0] === "env"),
    "(settings)",
  ).changes;
  let capturedBy: string | null = null;
  if (route === "none") {
    if (input.watchPid !== null) {
      capturedBy = `Claude Code's transcripts are followed by watch (pid ${input.watchPid})`;
      checks.push(pass(NAMES.routing, `not routed through the proxy; ${capturedBy}`));
    } else {
      checks.push(
        fail(
          NAMES.routing,
          `neither Claude Code's settings nor this shell route it through the proxy (${target.proxyUrl}), and no watch follows its transcripts: nothing it does is captured`,
          `${setupCommand}   # routes it through the proxy; or, to leave it unrouted: ${cli} watch`,
        ),
      );
    }
  } else if (envChanges.length === 0) {
    const key = route === "base-url" ? "ANTHROPIC_BASE_URL" : "HTTPS_PROXY";
    const from = (route === "base-url" ? base : https)?.from ?? "";
    capturedBy = `Claude Code's ${key} (${from}) points at the proxy`;
    checks.push(
      pass(
        NAMES.routing,
        `${key}=${maskValue((route === "base-url" ? base : https)?.value ?? "")} (${from}): this proxy${route === "proxy" ? `; NODE_EXTRA_CA_CERTS holds its CA` : ""}`,
      ),
    );
  } else if (route === "proxy" && extra && !existsSync(extra.value)) {
    // setup keeps the bundle NODE_EXTRA_CA_CERTS names (a corporate CA must not be dropped): it must exist.
    checks.push(
      fail(
        NAMES.routing,
        `NODE_EXTRA_CA_CERTS (${extra.from}) is ${extra.value}, which does not exist: Claude Code would trust neither it nor the proxy's CA`,
        `point env.NODE_EXTRA_CA_CERTS in ${extra.from} at a bundle that exists (or remove it), then: ${setupCommand}`,
      ),
    );
  } else if (route === "base-url" && base && !ours(base.value)) {
    checks.push(
      fail(
        NAMES.routing,
        `ANTHROPIC_BASE_URL is ${maskValue(base.value)} (${base.from}), not this proxy (${target.proxyUrl}): Claude Code's traffic is not captured`,
        setupCommand,
      ),
    );
  } else {
    const routedFile = (route === "base-url" ? base : https)?.from ?? "";
    const what = envChanges.map((c) =>
      c.kind === "set" && c.path[1] === "NODE_EXTRA_CA_CERTS"
        ? `NODE_EXTRA_CA_CERTS ${extra ? `(${extra.value}) does not hold` : "is not set to"} the proxy's CA (${ca.cert}): Claude Code would refuse the proxy's certificates`
        : c.kind === "set"
          ? `${c.path[1]} is ${c.before === undefined ? "not set" : maskValue(c.before)}, setup writes ${maskValue(c.after)}`
          : "",
    );
    checks.push(
      fail(
        NAMES.routing,
        `${route === "base-url" ? "ANTHROPIC_BASE_URL" : "HTTPS_PROXY"} points at this proxy (${routedFile}), but ${what.join("; ")}`,
        setupCommand,
      ),
    );
  }

  // The proxy must answer when routing is set, or Claude Code cannot reach the API at all.
  if (route !== "none" && routedHere) {
    const svc = serviceState(input);
    const p = input.probe;
    const atLogin =
      svc.state === "enabled"
        ? `started at login by ${svc.file}`
        : svc.state === "written"
          ? `${svc.file} is written but not enabled, so it will not start at login: ${svc.enable.join(" && ")}`
          : `no service starts it at login (after a reboot: ${cli} start --background, or once for good: ${cli} setup service --enable)`;
    if (p.answering) {
      checks.push(pass(NAMES.proxy, `answering on ${p.url} (pid ${p.healthPid}); ${atLogin}`));
    } else {
      const refused = `Claude Code is routed through ${target.proxyUrl} but`;
      if (p.otherDataDir) {
        checks.push(
          fail(
            NAMES.proxy,
            `${refused} the proxy there is another data directory's (${p.healthDataDir}): what Claude Code does is stored there, not in ${config.dataDir}`,
            `mcp-mitm-mem0 --data-dir ${p.healthDataDir} doctor   # if that is the one you meant; else: mcp-mitm-mem0 --data-dir ${p.healthDataDir} stop && ${cli} start --background`,
          ),
        );
      } else if (p.foreign) {
        checks.push(
          fail(
            NAMES.proxy,
            `${refused} another program holds that port: Claude Code's requests go to it`,
            `set MITM_PORT to a free port, then: ${cli} start --background && ${setupCommand}`,
          ),
        );
      } else {
        const fix =
          svc.state === "enabled"
            ? input.platform === "darwin"
              ? `launchctl kickstart -k gui/$(id -u)/dev.mcp-mitm-mem0.proxy   # its log: ${join(config.dataDir, "proxy.log")}`
              : "systemctl --user restart mcp-mitm-mem0   # its log: journalctl --user -u mcp-mitm-mem0"
            : svc.state === "written"
              ? svc.enable.join(" && ")
              : `${cli} start --background   # now; at every login: ${cli} setup service --enable`;
        checks.push(
          fail(
            NAMES.proxy,
            `${refused} nothing answers there: Claude Code cannot reach the API ("Unable to connect to API (ConnectionRefused)"; \`claude -p\` retries for minutes, printing nothing)${svc.state === "none" ? "" : `; ${atLogin}`}`,
            fix,
          ),
        );
      }
    }
  }

  // The MCP server, as Claude Code would start it.
  if (!server) {
    checks.push(
      fail(
        NAMES.mcp,
        `no MCP server of this tool in ${scope === "project" ? `${project.mcp} or ` : ""}${user.mcp} (mcpServers): Claude cannot search its memories`,
        setupCommand,
      ),
    );
  } else {
    const parts = mcpEntryParts(server.entry);
    const wrong = typeof server.entry.url === "string" ? [] : commandProblems(parts, input);
    const label = `"${server.name}" (${server.where}, ${server.file})`;
    if (!server.approved) {
      checks.push(
        fail(
          NAMES.mcp,
          `${label} is not approved in ${project.local} (enabledMcpjsonServers): Claude Code asks before starting it, and \`claude -p\` does not start it`,
          `${cli} setup claude-code --scope project${serverName !== "memory" ? ` --name ${serverName}` : ""}`,
        ),
      );
    } else if (wrong.length > 0) {
      checks.push(fail(NAMES.mcp, `${label}: ${wrong.join("; ")}`, setupCommand));
    } else if (typeof server.entry.url === "string") {
      checks.push(
        pass(
          NAMES.mcp,
          `${label}: over HTTP at ${maskValue(server.entry.url)} (an HTTP entry is not checked further: its server must be running, mcp-mitm-mem0 mcp --http)`,
        ),
      );
    } else {
      checks.push(pass(NAMES.mcp, `${label}: ${describeParts(parts)} mcp, data dir ${config.dataDir}`));
    }
  }

  // The read tools allowed without asking; a deny rule wins over any allow.
  const denied = (merged.doc.permissions as { deny: { rule: unknown; file: string }[] }).deny.filter(
    (d) =>
      typeof d.rule === "string" &&
      (d.rule === `mcp__${serverName}` ||
        d.rule === `mcp__${serverName}__*` ||
        wants.some((w) => w.kind === "add" && w.path[0] === "permissions" && w.item === d.rule)),
  );
  const permissionWants = wants.filter((w) => w.path[0] === "permissions");
  const serverWide = allow.some((r) => r === `mcp__${serverName}` || r === `mcp__${serverName}__*`);
  const missing = serverWide
    ? []
    : applyWants(merged.doc, permissionWants, "(settings)").changes.map((c) =>
        c.kind === "add" ? String(c.item) : c.path.join("."),
      );
  if (denied.length > 0) {
    checks.push(
      fail(
        NAMES.permissions,
        `${denied.map((d) => `${d.rule} (${d.file})`).join(", ")} in permissions.deny: Claude Code refuses those tools whatever permissions.allow says`,
        `remove ${denied.map((d) => `"${d.rule}"`).join(", ")} from permissions.deny in ${[...new Set(denied.map((d) => d.file))].join(", ")}`,
      ),
    );
  } else if (missing.length > 0) {
    checks.push(
      fail(
        NAMES.permissions,
        `not in permissions.allow: ${missing.join(", ")} — Claude Code asks before each call (and \`claude -p\` refuses it)`,
        setupCommand,
      ),
    );
  } else {
    checks.push(
      pass(
        NAMES.permissions,
        serverWide
          ? `permissions.allow has mcp__${serverName} for the whole server: its deletions and writes are allowed without asking too`
          : `permissions.allow has the read tools (mcp__${serverName}__search_memories, …); writes and deletions ask`,
      ),
    );
  }

  // The hooks: an entry of ours for each event, whose command can run and uses this data directory.
  const hookProblems: string[] = [];
  const hookOk: string[] = [];
  for (const event of HOOK_EVENTS) {
    const groups = ((merged.doc.hooks as Record<string, unknown[]>)[event] ?? []).filter((g) =>
      isOurHookGroup(g, event),
    );
    const commands = groups.flatMap((g) =>
      ((g as { hooks: unknown[] }).hooks ?? [])
        .map((h) => (h as { command?: unknown })?.command)
        .filter((c): c is string => typeof c === "string" && c.endsWith(` hook ${event}`)),
    );
    if (commands.length === 0) {
      hookProblems.push(`no ${event} hook of this tool`);
      continue;
    }
    const results = commands.map((c) => {
      const parts = hookCommandParts(c, event);
      return parts
        ? { c, parts, wrong: commandProblems(parts, input) }
        : { c, parts, wrong: ["its command line is not one doctor can read (quotes, pipes or $(…))"] };
    });
    const good = results.find((r) => r.wrong.length === 0);
    if (good?.parts) hookOk.push(`${event}: ${describeParts(good.parts)} hook ${event}`);
    else hookProblems.push(`${event}: ${results[0]?.wrong.join("; ")}`);
  }
  const disabledBy = merged.doc.disableAllHooks;
  if (typeof disabledBy === "string") {
    checks.push(
      fail(
        NAMES.hooks,
        `disableAllHooks is true in ${disabledBy}: no hook runs, so no memories come in by themselves`,
        `remove "disableAllHooks" from ${disabledBy}`,
      ),
    );
  } else if (hookProblems.length > 0) {
    checks.push(
      fail(
        NAMES.hooks,
        `${hookProblems.join("; ")} — without them memories reach Claude only when it calls search_memories`,
        setupCommand,
      ),
    );
  } else {
    checks.push(pass(NAMES.hooks, `${hookOk.join("; ")} (data dir ${config.dataDir})`));
  }

  return {
    checks,
    capturedBy,
    proxyNotNeeded: route === "none" && capturedBy !== null ? capturedBy : null,
  };
}

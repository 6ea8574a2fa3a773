/**
 * `setup claude-code`: configures the real Claude Code in one step —
 * routing through the proxy in its settings' `env`, the MCP server
 * registered as `claude mcp add` writes it, the read tools allowed, the
 * hooks — idempotently, with a backup of every file it changes; `--undo`
 * puts back what was there, `--dry-run` only shows the changes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { Option } from "commander";
import {
  approvalWants,
  type JsonObject,
  mcpWants,
  parseJsonObject,
  type Route,
  type Scope,
  settingsWants,
} from "../../core/claude-setup.js";
import { MemoryError } from "../../core/errors.js";
import { writeFileAtomicKeepingMode } from "../../files/atomic-write.js";
import { carriedEnv, carriedGlobalArgs } from "../carry.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { PROXY_NODE_FLAGS } from "../node-flags.js";
import type { ManagedFile } from "../setup/claude-code.js";
import { claudeCodeFiles, setupInputs } from "../setup/claude-code-target.js";
import { describeCommand } from "./catalog.js";

interface ClaudeCodeFlags {
  scope: Scope;
  route: Route;
  name: string;
  dryRun?: boolean;
  undo?: boolean;
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
  const { caPaths, loadOrCreateCa } = await import("../../capture/tls/ca.js");
  const { bundleContains, bundlePath, writeCombinedBundle } = await import("../../capture/tls/ca-bundle.js");
  const ca = caPaths(dataDir);
  const notes: string[] = [];

  const settingsNow = readJson(files.settings);
  const settingsEnv = (settingsNow.env ?? {}) as Record<string, unknown>;

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

  const { secrets } = carriedEnv(process.env, dataDir);
  const inputs = setupInputs({
    config,
    envFile: ctx.envFile(),
    scope: flags.scope,
    route: flags.route,
    serverName: flags.name,
    caBundle,
    settingsEnv,
    shellEnv: process.env,
  });

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
  const changed = outcomes.some((outcome) => outcome.status !== "unchanged");
  ctx.out(
    dryRun
      ? "\n(dry run: nothing was written)"
      : changed
        ? `\nundo with: mcp-mitm-mem0 setup claude-code --scope ${flags.scope} --undo`
        : "\nClaude Code was already set up: nothing changed",
  );
  if (flags.route !== "none") {
    ctx.out(
      "Claude Code now goes through the proxy: keep it running whenever Claude Code starts —\n" +
        "  mcp-mitm-mem0 start --background   (now)\n" +
        "  mcp-mitm-mem0 setup service        (at every login)",
    );
  }
}

interface ServiceFlags {
  platform?: string;
  enable?: boolean;
  dryRun?: boolean;
  undo?: boolean;
  ui?: boolean;
}

async function setupService(ctx: CliContext, flags: ServiceFlags): Promise<void> {
  const config = ctx.config();
  const svc = await import("../setup/service.js");
  const { backupFile } = await import("../setup/claude-code.js");
  const platform = (flags.platform ?? (process.platform === "darwin" ? "macos" : process.platform)) as string;
  if (platform !== "linux" && platform !== "macos") {
    throw new UsageError(
      `setup service knows systemd (linux) and launchd (macos), not ${platform}: run mcp-mitm-mem0 start --background at login instead`,
    );
  }
  const home = process.env.HOME?.trim() || homedir();
  const configHome = process.env.XDG_CONFIG_HOME?.trim() || join(home, ".config");
  const file = svc.serviceFilePath(platform, home, configHome);
  const { enable, disable } = svc.serviceCommands(platform, file);
  const dryRun = flags.dryRun === true;
  const current = existsSync(file) ? readFileSync(file) : null;

  if (flags.undo) {
    if (current === null) {
      ctx.out(`nothing to undo: ${file} does not exist`);
      return;
    }
    ctx.out(`first stop and disable it:\n${disable.map((c) => `  ${svc.renderCommand(c)}`).join("\n")}`);
    if (dryRun) {
      ctx.out(`would remove: ${file}\n\n(dry run: nothing was written)`);
      return;
    }
    const saved = backupFile(config.dataDir, file, current);
    rmSync(file);
    ctx.out(`removed: ${file}\n  backup: ${saved}`);
    return;
  }

  const { env } = carriedEnv(process.env, config.dataDir);
  const spec = {
    nodePath: process.execPath,
    args: [
      ...PROXY_NODE_FLAGS,
      realpathSync(process.argv[1] ?? ""),
      "--data-dir",
      config.dataDir,
      ...carriedGlobalArgs(ctx.envFile(), config.dataDir, process.env),
      "start",
      ...(flags.ui === false ? ["--no-ui"] : []),
    ],
    env,
    logPath: join(config.dataDir, "proxy.log"),
  };
  const text = platform === "linux" ? svc.systemdUnit(spec) : svc.launchdPlist(spec);
  const same = current !== null && current.toString("utf8") === text;
  if (dryRun) {
    ctx.out(
      `${same ? "unchanged" : current ? "would change" : "would create"}: ${file}\n\n${text}\n(dry run: nothing was written)`,
    );
    return;
  }
  if (same) ctx.out(`unchanged: ${file}`);
  else {
    const saved = current === null ? null : backupFile(config.dataDir, file, current);
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomicKeepingMode(file, text, 0o644);
    ctx.out(`${current ? "changed" : "created"}: ${file}${saved ? `\n  backup: ${saved}` : ""}`);
  }
  if (!flags.enable) {
    ctx.out(
      `not enabled yet; to start the proxy now and at every login:\n${enable.map((c) => `  ${svc.renderCommand(c)}`).join("\n")}`,
    );
    return;
  }
  for (const argv of enable) {
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
    if (r.status !== 0) {
      throw new MemoryError(
        "UNAVAILABLE",
        `${svc.renderCommand(argv)} failed (${r.error ? r.error.message : `exit ${r.status}`}): ${(r.stderr ?? "").trim() || "no message"}; the file is written, enable it by hand`,
      );
    }
  }
  ctx.out(
    `enabled: the proxy starts now and at every login (stop with: ${svc.renderCommand(disable[0] ?? [])})`,
  );
}

export const registerSetupCommand: RegisterCommand = (program, ctx) => {
  const setup = program.command("setup").description(describeCommand("setup"));
  setup
    .command("service")
    .description(
      "keep the proxy running: a systemd user unit (Linux) or launchd agent (macOS), written but not enabled unless --enable",
    )
    .addOption(
      new Option(
        "--platform <platform>",
        "linux (systemd) or macos (launchd); default: this machine's",
      ).choices(["linux", "macos"]),
    )
    .option("--enable", "also enable and start it now (systemctl --user enable --now / launchctl bootstrap)")
    .option("--no-ui", "the service's proxy serves no web page")
    .option("--dry-run", "print the file and write nothing")
    .option("--undo", "remove the file (backup kept); prints the command that disables it")
    .action((flags: ServiceFlags) => setupService(ctx, flags));
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

/**
 * Claude Code's own transcripts as a capture path: `import --from
 * claude-code [DIR]` brings the history on disk in once, `watch` follows
 * the folder and stores each episode as it completes. Both share the
 * ingester and its state (`<data dir>/transcripts.db`).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type ImportSummary, importTranscripts } from "../../capture/transcripts/transcript-import.js";
import { TranscriptState, transcriptStatePath } from "../../capture/transcripts/transcript-state.js";
import { DEFAULT_SCAN_MS, TranscriptWatcher } from "../../capture/transcripts/transcript-watcher.js";
import { InvalidInputError } from "../../core/errors.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { startHookThread } from "../hook/hook-thread.js";
import { positiveInt } from "../options.js";
import { createProgress } from "../progress.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

export interface TranscriptImportFlags {
  project?: string;
  since?: string;
  dryRun?: boolean;
  json?: boolean;
  rescan?: boolean;
}

function projectsDir(ctx: CliContext, dir: string | undefined): string {
  const root = resolve(dir ?? ctx.config().claudeProjectsDir);
  if (!existsSync(root)) {
    throw new InvalidInputError(
      `no Claude Code transcripts at ${root}${dir ? "" : " (set CLAUDE_CONFIG_DIR, or pass the folder)"}`,
    );
  }
  return root;
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

function rate(n: number, ms: number): string {
  return ms > 0 ? `${Math.round((n * 1000) / ms).toLocaleString("en")}/s` : "-";
}

export function renderImport(s: ImportSummary): string {
  const e = s.episodes;
  const verb = s.dryRun ? "would store" : "stored";
  const lines = [
    `${s.dryRun ? "dry run (nothing written): " : ""}${plural(s.files.total, "transcript")} under ${s.root}: ` +
      `${s.files.read} read, ${s.files.unchanged} unchanged since the last run` +
      `${s.files.unreadable ? `, ${s.files.unreadable} unreadable` : ""}` +
      `${s.files.otherProject ? `, ${s.files.otherProject} of other projects` : ""}`,
    `episodes: ${verb} ${e.stored}${e.incomplete ? ` (${e.incomplete} incomplete)` : ""}, ` +
      `${e.known} already stored${e.replaced ? `, ${e.replaced} incomplete replaced` : ""}` +
      `${e.inProgress ? `, ${e.inProgress} still in progress` : ""}${e.filtered ? `, ${e.filtered} before --since` : ""}`,
    `${(s.bytes / 1e6).toFixed(1)} MB in ${(s.durationMs / 1000).toFixed(1)} s (${rate(e.found, s.durationMs)} episodes)`,
  ];
  if (s.projects.length > 0) {
    lines.push("", "per project:");
    const width = Math.min(60, Math.max(...s.projects.map((p) => p.project.length)));
    for (const p of [...s.projects].sort((a, b) => a.project.localeCompare(b.project))) {
      lines.push(
        `  ${p.project.padEnd(width)}  ${plural(p.files, "file").padStart(10)}  ${verb} ${p.episodes.stored}, ${p.episodes.known} already stored`,
      );
    }
  }
  if (s.problems.length > 0) {
    lines.push("", `lines not read: ${s.lines.skipped} in ${plural(s.files.withProblems, "file")}`);
    for (const f of s.problems) {
      if (f.error) {
        lines.push(`  ${f.path}: ${f.error}`);
        continue;
      }
      const shown = f.lines.map((l) => `line ${l.line}: ${l.reason}`).join("; ");
      lines.push(
        `  ${f.path}: ${shown}${f.count > f.lines.length ? `; and ${f.count - f.lines.length} more` : ""}`,
      );
    }
  }
  return lines.join("\n");
}

/** `import --from claude-code [DIR]`. */
export async function importFromClaudeCode(
  ctx: CliContext,
  dir: string | undefined,
  flags: TranscriptImportFlags,
): Promise<void> {
  const config = ctx.config();
  const root = projectsDir(ctx, dir);
  const store = await ctx.store();
  const statePath = transcriptStatePath(config.dataDir);
  const state = flags.dryRun
    ? existsSync(statePath)
      ? TranscriptState.open(statePath, { readonly: true })
      : null
    : TranscriptState.open(statePath);
  const progress = createProgress(flags.dryRun ? "read" : "transcripts");
  const started = Date.now();
  try {
    const summary = await importTranscripts({
      root,
      store,
      state,
      userId: config.defaultUserId,
      agentId: config.defaultAgentId,
      idleMs: config.proxy.episodeIdleMs,
      dryRun: flags.dryRun,
      since: flags.since,
      project: flags.project === undefined ? undefined : resolve(flags.project),
      rescan: flags.rescan,
      onProgress: (p) => {
        const ms = Date.now() - started;
        progress.update(
          p.files,
          p.totalFiles,
          `${plural(p.episodes, "episode")}, ${rate(p.files, ms)} files, ${((p.bytes / 1e6 / Math.max(ms, 1)) * 1000).toFixed(1)} MB/s`,
        );
      },
    });
    progress.done();
    ctx.out(flags.json ? json(summary) : renderImport(summary));
  } finally {
    state?.close();
  }
}

export const registerWatchCommand: RegisterCommand = (program, ctx) => {
  program
    .command("watch")
    .description(describeCommand("watch"))
    .argument("[dir]", "the projects folder (default: $CLAUDE_CONFIG_DIR/projects or ~/.claude/projects)")
    .option(
      "--scan-seconds <n>",
      "how often the slow fallback scan runs",
      positiveInt("--scan-seconds", 86_400),
      DEFAULT_SCAN_MS / 1000,
    )
    .action(async (dir: string | undefined, flags: { scanSeconds: number }) => {
      const config = ctx.config();
      const root = projectsDir(ctx, dir);
      if (!statSync(root).isDirectory()) throw new InvalidInputError(`${root} is not a folder`);
      const store = await ctx.store();
      const state = TranscriptState.open(transcriptStatePath(config.dataDir));
      const watcher = new TranscriptWatcher({
        root,
        store,
        state,
        logger: ctx.logger(),
        userId: config.defaultUserId,
        agentId: config.defaultAgentId,
        idleMs: config.proxy.episodeIdleMs,
        scanMs: flags.scanSeconds * 1000,
      });
      const stopped = new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          done();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      // As with `start`: Claude Code's hooks answered on <data dir>/recall.sock by a thread of this
      // process (people who capture with `watch` instead of the proxy get the same fast hooks).
      const hooks = startHookThread({
        entry: new URL("../hook/hook-worker.js", import.meta.url),
        workerData: { dataDir: config.dataDir, version: program.version() ?? "", logLevel: config.logLevel },
        logger: ctx.logger(),
      });
      try {
        await hooks;
        await watcher.start();
        const s = watcher.summary;
        ctx.err(
          `watching ${root}: ${s.episodes.stored} episodes stored from ${s.files.read} changed transcripts; Ctrl-C stops`,
        );
        await stopped;
        await watcher.stop();
        ctx.err(`stopped: ${watcher.summary.episodes.stored} episodes stored in this run`);
      } finally {
        // The socket goes with the watcher: from then on hooks answer in-process.
        await (await hooks).stop();
        state.close();
      }
    });
};

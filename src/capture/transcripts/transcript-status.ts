import { existsSync } from "node:fs";
import type { Check } from "../../cli/doctor/doctor-checks.js";
import { type RunSummary, TranscriptState, transcriptStatePath } from "./transcript-state.js";

/** What `status` and `doctor` say about `import --from claude-code` and `watch`. */
export interface TranscriptStatus {
  lastImport: RunSummary | null;
  watch: (RunSummary & { alive: boolean }) | null;
  files: number;
  episodes: number;
  filesWithProblems: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** null when transcripts were never read. Throws when the state file cannot be read. */
export function readTranscriptStatus(dataDir: string): TranscriptStatus | null {
  const path = transcriptStatePath(dataDir);
  if (!existsSync(path)) return null;
  const state = TranscriptState.open(path, { readonly: true });
  try {
    const watch = state.run("watch");
    return {
      lastImport: state.run("import"),
      watch: watch ? { ...watch, alive: watch.state === "running" && alive(watch.pid) } : null,
      ...state.totals(),
    };
  } finally {
    state.close();
  }
}

function describeRun(r: RunSummary): string {
  return `${r.episodesStored} episodes stored, ${r.episodesKnown} already stored, ${r.linesSkipped} lines not read in ${r.filesWithProblems} files`;
}

/** The `status` lines. */
export function renderTranscriptStatus(s: TranscriptStatus | null): string[] {
  if (!s)
    return ["transcripts:  never read — bring old history in with: mcp-mitm-mem0 import --from claude-code"];
  const lines = [
    `transcripts:  ${s.files} files read, ${s.episodes} episodes stored from them, ${s.filesWithProblems} files with lines not read`,
  ];
  if (s.lastImport) {
    lines.push(
      `  import:     ${s.lastImport.state} ${s.lastImport.endedAt ?? s.lastImport.updatedAt}: ${describeRun(s.lastImport)}`,
    );
  }
  if (s.watch) {
    const w = s.watch;
    const head = w.alive
      ? `running (pid ${w.pid}) since ${w.startedAt}, last scan ${w.updatedAt}`
      : w.state === "running"
        ? `not running (pid ${w.pid} gone without stopping; last seen ${w.updatedAt})`
        : `${w.state} ${w.endedAt ?? w.updatedAt}`;
    lines.push(`  watch:      ${head}: ${describeRun(w)}${w.error ? ` — last error: ${w.error}` : ""}`);
  }
  return lines;
}

/** The `doctor` check: reading transcripts works, and a watch that was running still is. */
export function checkTranscripts(dataDir: string): Check {
  const name = "transcripts";
  let s: TranscriptStatus | null;
  try {
    s = readTranscriptStatus(dataDir);
  } catch (e) {
    return {
      name,
      ok: false,
      detail: `cannot read ${transcriptStatePath(dataDir)}: ${(e as Error).message}`,
      fix: `mv ${transcriptStatePath(dataDir)} ${transcriptStatePath(dataDir)}.bad   # the next import reads every file again; nothing is stored twice`,
    };
  }
  if (!s) {
    return {
      name,
      ok: true,
      detail: "never read (optional: mcp-mitm-mem0 import --from claude-code brings old history in)",
    };
  }
  if (s.watch && s.watch.state === "running" && !s.watch.alive) {
    return {
      name,
      ok: false,
      detail: `watch (pid ${s.watch.pid}) stopped without a clean exit; last seen ${s.watch.updatedAt}`,
      fix: "mcp-mitm-mem0 watch",
    };
  }
  const last = s.watch?.alive
    ? `watch running (pid ${s.watch.pid})`
    : s.lastImport
      ? `last import ${s.lastImport.endedAt ?? s.lastImport.updatedAt}`
      : "read by watch";
  const problems =
    s.filesWithProblems > 0
      ? `; ${s.filesWithProblems} files have lines that could not be read (see import --dry-run)`
      : "";
  return { name, ok: true, detail: `${last}; ${s.episodes} episodes from ${s.files} files${problems}` };
}

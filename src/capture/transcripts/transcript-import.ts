import type { LineProblem } from "../../core/transcripts/index.js";
import { listTranscripts, projectSlug } from "./transcript-files.js";
import {
  type EpisodeCounts,
  type FileReport,
  type IngestOptions,
  TranscriptIngester,
  zeroCounts,
} from "./transcript-ingest.js";
import type { RunKind, RunSummary, TranscriptState } from "./transcript-state.js";

/**
 * `import --from claude-code`: every transcript under the projects folder,
 * once, through the same ingester `watch` uses; a summary per project and
 * the lines that could not be read, per file.
 */

/** Lines listed per file in the summary (all are counted). */
const PROBLEMS_LISTED = 20;

export interface FileProblems {
  path: string;
  /** The whole file could not be read. */
  error: string | null;
  count: number;
  lines: LineProblem[];
}

export interface ImportSummary {
  root: string;
  dryRun: boolean;
  files: {
    total: number;
    read: number;
    unchanged: number;
    unreadable: number;
    otherProject: number;
    withProblems: number;
    restarted: number;
  };
  lines: { read: number; skipped: number };
  bytes: number;
  episodes: EpisodeCounts;
  projects: { project: string; files: number; episodes: EpisodeCounts }[];
  problems: FileProblems[];
  durationMs: number;
}

export interface ImportProgress {
  files: number;
  totalFiles: number;
  episodes: number;
  bytes: number;
}

export function addCounts(into: EpisodeCounts, add: EpisodeCounts): void {
  for (const k of Object.keys(into) as (keyof EpisodeCounts)[]) into[k] += add[k];
}

/** Folds one file's report into a summary. */
export function addFileReport(s: ImportSummary, r: FileReport): void {
  if (r.status === "read") s.files.read++;
  else if (r.status === "unchanged") s.files.unchanged++;
  else if (r.status === "unreadable") s.files.unreadable++;
  else s.files.otherProject++;
  if (r.restarted) s.files.restarted++;
  s.lines.read += r.lines;
  s.lines.skipped += r.problems.length;
  s.bytes += r.bytes;
  addCounts(s.episodes, r.episodes);
  if (r.problems.length > 0 || r.error) {
    s.files.withProblems++;
    s.problems.push({
      path: r.path,
      error: r.error,
      count: r.problems.length,
      lines: r.problems.slice(0, PROBLEMS_LISTED),
    });
  }
  if (r.status !== "read" || (r.episodes.found === 0 && r.episodes.inProgress === 0)) return;
  const name = r.project ?? "(no project)";
  let p = s.projects.find((x) => x.project === name);
  if (!p) {
    p = { project: name, files: 0, episodes: zeroCounts() };
    s.projects.push(p);
  }
  p.files++;
  addCounts(p.episodes, r.episodes);
}

export function emptySummary(root: string, dryRun: boolean): ImportSummary {
  return {
    root,
    dryRun,
    files: { total: 0, read: 0, unchanged: 0, unreadable: 0, otherProject: 0, withProblems: 0, restarted: 0 },
    lines: { read: 0, skipped: 0 },
    bytes: 0,
    episodes: zeroCounts(),
    projects: [],
    problems: [],
    durationMs: 0,
  };
}

export function runSummary(
  kind: RunKind,
  s: ImportSummary,
  startedAt: number,
  state: RunSummary["state"],
  error: string | null = null,
): RunSummary {
  const now = new Date().toISOString();
  return {
    kind,
    state,
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    updatedAt: now,
    endedAt: state === "running" ? null : now,
    files: s.files.read + s.files.unchanged,
    filesWithProblems: s.files.withProblems,
    linesSkipped: s.lines.skipped,
    episodesStored: s.episodes.stored,
    episodesKnown: s.episodes.known,
    inProgress: s.episodes.inProgress,
    error,
  };
}

/** Imports every transcript under `root`. Throws when the store fails (nothing after is recorded as read). */
export async function importTranscripts(
  options: IngestOptions & { root: string; onProgress?: ((p: ImportProgress) => void) | undefined },
): Promise<ImportSummary> {
  const started = Date.now();
  const summary = emptySummary(options.root, options.dryRun ?? false);
  const files = listTranscripts(
    options.root,
    options.project === undefined ? undefined : projectSlug(options.project),
  );
  summary.files.total = files.length;
  const state: TranscriptState | null = options.dryRun ? null : options.state;
  const known = options.state?.files() ?? new Map();
  const ingester = new TranscriptIngester({ ...options, state });
  const reports: FileReport[] = [];
  let episodes = 0;
  let bytes = 0;
  try {
    for (const [i, path] of files.entries()) {
      const r = await ingester.file(path, known.get(path) ?? null);
      reports.push(r);
      episodes += r.episodes.stored;
      bytes += r.bytes;
      options.onProgress?.({ files: i + 1, totalFiles: files.length, episodes, bytes });
    }
    await ingester.flush();
  } catch (e) {
    for (const r of reports) addFileReport(summary, r);
    state?.saveRun(runSummary("import", summary, started, "failed", (e as Error).message));
    throw e;
  }
  // Counts are final only after the last flush (the store may answer "duplicate").
  for (const r of reports) addFileReport(summary, r);
  summary.durationMs = Date.now() - started;
  state?.saveRun(runSummary("import", summary, started, "done"));
  return summary;
}

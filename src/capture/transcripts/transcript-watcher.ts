import { type FSWatcher, statSync, watch } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { listTranscripts, projectDirs } from "./transcript-files.js";
import { addFileReport, emptySummary, type ImportSummary, runSummary } from "./transcript-import.js";
import { DEFAULT_SETTLE_MS, type IngestOptions, TranscriptIngester } from "./transcript-ingest.js";
import type { TranscriptState } from "./transcript-state.js";

/**
 * `watch`: follows the projects folder and stores each episode as it
 * completes. `fs.watch` on the folder and on each project folder says which
 * file changed; a slow scan (every `scanMs`) catches what the watcher
 * missed (network file systems, a folder created between two events) and
 * lets an unfinished episode go idle. Nothing polls in between. Offsets are
 * the ingester's, in the state database, so a restart reads on where the
 * last run stopped.
 */

export const DEFAULT_SCAN_MS = 60_000;
const PROBLEM_FILES_KEPT = 100;

export interface WatcherOptions extends Omit<IngestOptions, "state" | "dryRun"> {
  state: TranscriptState;
  root: string;
  logger: Logger;
  scanMs?: number | undefined;
}

export class TranscriptWatcher {
  private readonly ingester: TranscriptIngester;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly dirty = new Set<string>();
  private scanTimer: NodeJS.Timeout | null = null;
  private kick: NodeJS.Timeout | null = null;
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly started = Date.now();
  readonly summary: ImportSummary;

  constructor(private readonly options: WatcherOptions) {
    this.ingester = new TranscriptIngester(options);
    this.summary = emptySummary(options.root, false);
  }

  /** Reads every file once (what changed since the last run), then follows the folder. */
  async start(): Promise<void> {
    this.watchDir(this.options.root);
    this.scan();
    await this.settle();
    this.scanTimer = setInterval(() => this.scan(), this.options.scanMs ?? DEFAULT_SCAN_MS);
  }

  /** Resolves once every change seen so far is stored. */
  async settle(): Promise<void> {
    while (this.running || this.dirty.size > 0) {
      if (!this.running) this.process();
      await this.running;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.kick) clearTimeout(this.kick);
    for (const t of this.rechecks.values()) clearTimeout(t);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.running;
    this.options.state.saveRun(runSummary("watch", this.summary, this.started, "stopped"));
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.stopped) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => {
        if (typeof name !== "string") return this.scan();
        if (dir === this.options.root && !name.endsWith(".jsonl")) {
          // A new project folder: follow it and read what it already holds.
          this.watchDir(join(dir, name));
          for (const f of listTranscripts(join(dir, name))) this.mark(f);
          return;
        }
        if (name.endsWith(".jsonl")) this.mark(join(dir, name));
      });
      w.on("error", () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch (e) {
      this.options.logger.warn("cannot watch a transcript folder; the slow scan still reads it", {
        code: (e as NodeJS.ErrnoException).code ?? "error",
      });
    }
  }

  /** Lists every file; marks those that changed, or still hold an unfinished episode. */
  scan(): void {
    if (this.stopped) return;
    for (const d of projectDirs(this.options.root)) this.watchDir(d);
    let files: string[];
    try {
      files = listTranscripts(this.options.root);
    } catch {
      return;
    }
    const known = this.options.state.files();
    for (const f of files) {
      const s = known.get(f);
      if (!s || s.offset < s.size) {
        this.mark(f);
        continue;
      }
      try {
        const st = statSync(f);
        if (st.size !== s.size || st.mtimeMs !== s.mtimeMs) this.mark(f);
      } catch {
        // Gone between the listing and the stat.
      }
    }
    this.options.state.saveRun(runSummary("watch", this.summary, this.started, "running"));
  }

  private mark(path: string): void {
    if (this.stopped) return;
    this.dirty.add(path);
    // Events come in bursts (one line, then the next): read once the burst is over.
    if (!this.kick) {
      this.kick = setTimeout(() => {
        this.kick = null;
        this.process();
      }, 50);
    }
  }

  private process(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.dirty.size > 0 && !this.stopped) {
      const paths = [...this.dirty];
      this.dirty.clear();
      try {
        const reports = [];
        for (const p of paths) reports.push(await this.ingester.file(p));
        await this.ingester.flush();
        for (const r of reports) {
          addFileReport(this.summary, r);
          if (r.episodes.stored > 0) {
            this.options.logger.info("episodes stored from a transcript", {
              session: r.session,
              stored: r.episodes.stored,
            });
          }
          if (r.episodes.inProgress > 0) this.recheckLater(r.path);
        }
        // A long-running watch keeps the latest files with unreadable lines, not all of them.
        if (this.summary.problems.length > PROBLEM_FILES_KEPT) {
          this.summary.problems.splice(0, this.summary.problems.length - PROBLEM_FILES_KEPT);
        }
        this.options.state.saveRun(runSummary("watch", this.summary, this.started, "running"));
      } catch (e) {
        // The store failed: nothing of this batch moved on; try again at the next change or scan.
        for (const p of paths) this.dirty.add(p);
        this.options.logger.warn("storing episodes from transcripts failed; will retry", {
          code: (e as NodeJS.ErrnoException).code ?? errorMessage(e).slice(0, 80),
        });
        this.options.state.saveRun(
          runSummary("watch", this.summary, this.started, "running", errorMessage(e).slice(0, 200)),
        );
        return;
      }
    }
  }

  /** A reply at the end of a file is whole once the file stays unchanged for the settle time. */
  private recheckLater(path: string): void {
    if (this.rechecks.has(path) || this.stopped) return;
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return;
    }
    const settle = this.options.settleMs ?? DEFAULT_SETTLE_MS;
    if (age >= settle) return; // Only the idle time is left: the slow scan sees to it.
    const t = setTimeout(
      () => {
        this.rechecks.delete(path);
        this.mark(path);
      },
      settle - age + 50,
    );
    this.rechecks.set(path, t);
  }
}

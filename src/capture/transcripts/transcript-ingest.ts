import { EPISODE_KIND, type Episode, episodeToMemory } from "../../core/episodes/index.js";
import { errorMessage } from "../../core/errors.js";
import {
  activeChain,
  historyOf,
  type LineProblem,
  readTranscriptLines,
  type TranscriptEpisode,
  transcriptEpisodes,
} from "../../core/transcripts/index.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { fileIdentity, hashFileBefore, type ReadFrom, readFrom, sessionOfFile } from "./transcript-files.js";
import type { FileState, TranscriptState } from "./transcript-state.js";

/**
 * Reads transcripts into the store, the same way for `import --from
 * claude-code` (once over every file) and `watch` (each file as it grows):
 * from where the state says the file was left, through the pure reader
 * (src/core/transcripts) to episodes, keeping those whose `episode_key` the
 * session does not have yet (stored by this path or by the proxy), and a
 * complete episode replaces its incomplete version. The state moves on only
 * after the store took the episodes.
 */

/** A reply at the very end of a file is taken as whole once the file has not changed for this long. */
export const DEFAULT_SETTLE_MS = 5_000;
/** How many episodes are stored in one `addMany`. */
const BATCH_EPISODES = 500;
const BATCH_FILES = 200;

export interface IngestOptions {
  store: MemoryStore;
  /** null: nothing is remembered between runs (and `dryRun` writes nothing at all). */
  state: TranscriptState | null;
  userId: string;
  agentId: string;
  /** An unfinished last episode of a file unchanged this long is stored as incomplete. */
  idleMs: number;
  settleMs?: number | undefined;
  dryRun?: boolean | undefined;
  /** Only episodes that started at or after this time (ISO). */
  since?: string | undefined;
  /** Only this project (a session's first `cwd`). */
  project?: string | undefined;
  /** Ignore saved offsets (the store's keys still keep every episode single). */
  rescan?: boolean | undefined;
  now?: (() => number) | undefined;
}

export interface EpisodeCounts {
  /** Complete and incomplete episodes read (in-progress ones not counted). */
  found: number;
  /** Stored now (dry run: would be stored). */
  stored: number;
  /** Already in the store under the same key or text (either capture path). */
  known: number;
  /** Incomplete versions replaced by the complete episode. */
  replaced: number;
  /** Of `stored`, how many are incomplete. */
  incomplete: number;
  /** Not finished yet: read again when the file changes or goes idle. */
  inProgress: number;
  /** Left out by `--since`. */
  filtered: number;
}

export interface FileReport {
  path: string;
  session: string | null;
  project: string | null;
  status: "read" | "unchanged" | "unreadable" | "other-project";
  /** The file was shorter than, or changed before, the saved offset: read again from the start. */
  restarted: boolean;
  bytes: number;
  lines: number;
  problems: LineProblem[];
  episodes: EpisodeCounts;
  error: string | null;
}

export const zeroCounts = (): EpisodeCounts => ({
  found: 0,
  stored: 0,
  known: 0,
  replaced: 0,
  incomplete: 0,
  inProgress: 0,
  filtered: 0,
});

interface Planned {
  report: FileReport;
  toStore: Episode[];
  toReplace: Episode[];
  next: FileState | null;
}

/** Existing episode memories of one session, by key. */
async function episodeKeys(
  store: MemoryStore,
  userId: string,
  session: string,
): Promise<Map<string, { id: string; complete: boolean }[]>> {
  const keys = new Map<string, { id: string; complete: boolean }[]>();
  let cursor: string | undefined;
  do {
    const page = await store.list({
      filters: { user_id: userId, run_id: session, metadata: { kind: EPISODE_KIND } },
      limit: 100,
      cursor,
    });
    for (const m of page.memories) {
      const key = m.metadata.episode_key;
      if (typeof key !== "string") continue;
      const list = keys.get(key) ?? [];
      list.push({ id: m.id, complete: m.metadata.complete !== false });
      keys.set(key, list);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return keys;
}

export class TranscriptIngester {
  private readonly settleMs: number;
  private readonly now: () => number;
  private pending: Planned[] = [];
  private pendingEpisodes = 0;
  /** Keys stored in this batch (two files of one session). */
  private batchKeys = new Set<string>();
  private readonly cache = new Map<string, Map<string, { id: string; complete: boolean }[]>>();

  constructor(private readonly options: IngestOptions) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.now = options.now ?? Date.now;
  }

  /** Reads one file; its episodes are stored by `flush` (called here when a batch is full). */
  async file(path: string, known?: FileState | null): Promise<FileReport> {
    const planned = await this.plan(
      path,
      known === undefined ? (this.options.state?.file(path) ?? null) : known,
    );
    this.pending.push(planned);
    this.pendingEpisodes += planned.toStore.length;
    if (this.pendingEpisodes >= BATCH_EPISODES || this.pending.length >= BATCH_FILES) await this.flush();
    return planned.report;
  }

  /** Stores what the files read so far hold, then moves their offsets on. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingEpisodes = 0;
    this.batchKeys = new Set();
    this.cache.clear();
    if (batch.length === 0) return;
    const episodes = batch.flatMap((p) => p.toStore);
    if (!this.options.dryRun && episodes.length > 0) {
      const results = await this.options.store.addMany(episodes.map(episodeToMemory));
      let i = 0;
      for (const p of batch) {
        for (const ep of p.toStore) {
          if (results[i++]?.status === "duplicate") {
            p.report.episodes.stored--;
            p.report.episodes.known++;
            if (!ep.complete) p.report.episodes.incomplete--;
          }
        }
      }
      for (const p of batch) {
        for (const ep of p.toReplace) p.report.episodes.replaced += await this.replaceIncomplete(ep);
      }
    }
    if (!this.options.dryRun && this.options.state) {
      const states = batch.map((p) => p.next).filter((s): s is FileState => s !== null);
      if (states.length > 0) this.options.state.saveFiles(states);
    }
  }

  private async replaceIncomplete(ep: Episode): Promise<number> {
    const page = await this.options.store.list({
      filters: { user_id: ep.user_id, metadata: { episode_key: ep.incomplete_key } },
      limit: 20,
    });
    let n = 0;
    for (const m of page.memories) {
      if (m.metadata.kind === EPISODE_KIND && m.metadata.complete === false) {
        await this.options.store.delete(m.id);
        n++;
      }
    }
    return n;
  }

  private async keysOf(session: string): Promise<Map<string, { id: string; complete: boolean }[]>> {
    let keys = this.cache.get(session);
    if (!keys) {
      keys = await episodeKeys(this.options.store, this.options.userId, session);
      this.cache.set(session, keys);
    }
    return keys;
  }

  private async plan(path: string, known: FileState | null): Promise<Planned> {
    const report: FileReport = {
      path,
      session: known?.session ?? null,
      project: known?.project ?? null,
      status: "read",
      restarted: false,
      bytes: 0,
      lines: 0,
      problems: [],
      episodes: zeroCounts(),
      error: null,
    };
    const at = this.options.rescan ? null : known;
    let read: ReadFrom;
    try {
      read = readFrom(path, at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      report.status = "unreadable";
      report.error = code ? `cannot read (${code})` : errorMessage(e);
      return { report, toStore: [], toReplace: [], next: null };
    }
    const { stat } = read;
    if (at && read.resumed && read.end === at.offset && !read.tail && stat.mtimeMs === at.mtimeMs) {
      report.status = "unchanged";
      return { report, toStore: [], toReplace: [], next: null };
    }
    report.restarted = read.restarted;
    const age = this.now() - stat.mtimeMs;
    const settled = age >= this.settleMs;
    const lines = read.lines;
    let end = read.end;
    if (read.tail && settled) {
      // Claude Code ends every line: bytes after the last line ending are a cut line, unless they parse.
      lines.push(read.tail);
      end = read.tail.offset + Buffer.byteLength(read.tail.text);
    }
    report.bytes = end - (lines[0]?.offset ?? end);
    report.lines = lines.length;
    const parsed = readTranscriptLines(lines);
    const last = lines[lines.length - 1];
    if (read.tail && settled && last === read.tail) {
      const p = parsed.problems.find((x) => x.line === read.tail?.line);
      if (p) p.reason = `truncated last line (${p.reason})`;
    }
    const fromStart = !read.resumed;
    // Lines read again (from the start of an episode in progress) were reported the first time.
    const seenTo = fromStart ? 0 : (known?.size ?? 0);
    report.problems = parsed.problems.filter((p) => p.offset >= seenTo);
    const session = parsed.session ?? (fromStart ? null : known?.session) ?? sessionOfFile(path);
    const project = (fromStart ? parsed.cwd : (known?.project ?? parsed.cwd)) ?? null;
    report.session = session;
    report.project = project;
    if (this.options.project !== undefined && project !== this.options.project) {
      report.status = "other-project";
      return { report, toStore: [], toReplace: [], next: null };
    }

    const episodes = transcriptEpisodes(historyOf(activeChain(parsed.entries)), {
      userId: this.options.userId,
      agentId: this.options.agentId,
      session,
      project,
      idle: age >= this.options.idleMs,
      idleMs: this.options.idleMs,
      settled,
      lastLine: last?.line ?? 0,
      fallbackAt: new Date(stat.mtimeMs).toISOString(),
    });
    const toStore: Episode[] = [];
    const toReplace: Episode[] = [];
    let filtered = false;
    for (const t of episodes) {
      const ep = t.episode;
      if (t.status === "in-progress" || !ep) {
        report.episodes.inProgress++;
        continue;
      }
      if (this.options.since !== undefined && ep.started_at < this.options.since) {
        report.episodes.filtered++;
        filtered = true;
        continue;
      }
      report.episodes.found++;
      const keys = await this.keysOf(ep.run_id ?? session);
      if (keys.has(ep.key) || this.batchKeys.has(ep.key)) {
        report.episodes.known++;
        continue;
      }
      this.batchKeys.add(ep.key);
      toStore.push(ep);
      report.episodes.stored++;
      if (!ep.complete) report.episodes.incomplete++;
      else if (ep.incomplete_key !== ep.key && keys.get(ep.incomplete_key)?.some((k) => !k.complete)) {
        toReplace.push(ep);
      }
    }

    // Read on from the last episode when it may still change (in progress, or stored
    // as incomplete after the idle time): the whole lines before it are done.
    const tailEpisode = lastOpen(episodes);
    const offset = tailEpisode ? tailEpisode.offset : end;
    const line = tailEpisode ? tailEpisode.line : (last?.line ?? (at?.line ?? 1) - 1) + 1;
    const next: FileState | null = filtered
      ? null
      : {
          path,
          identity: fileIdentity(stat),
          size: end,
          mtimeMs: stat.mtimeMs,
          offset,
          line,
          checkHash: hashFileBefore(path, offset),
          session,
          project,
          episodes: (fromStart ? 0 : (known?.episodes ?? 0)) + report.episodes.stored,
          problems: (fromStart ? 0 : (known?.problems ?? 0)) + report.problems.length,
          updatedAt: new Date(this.now()).toISOString(),
        };
    return { report, toStore, toReplace, next };
  }
}

function lastOpen(episodes: readonly TranscriptEpisode[]): TranscriptEpisode | null {
  const last = episodes[episodes.length - 1];
  return last && last.status !== "complete" ? last : null;
}

import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { openSqlite } from "../../store/sqlite/sqlite-database.js";

/**
 * Where the transcript reader stands (`<dataDir>/transcripts.db`, SQLite in
 * WAL mode, shared by `import --from claude-code` and `watch`): per file, the
 * byte offset to read on from (the start of the episode still in progress,
 * or the end of what was read), the file's identity and a hash of the bytes
 * before the offset, so a rewritten, truncated or replaced file is read from
 * the start again; and per kind of run, what the last run did. An offset is
 * written only after the episodes before it are in the store, so a crash
 * reads them again and the store's keys keep them single. No conversation
 * text is kept here.
 */

export interface FileState {
  path: string;
  /** `dev:ino` of the file when it was read. */
  identity: string;
  /** Bytes read (up to the last whole line). */
  size: number;
  mtimeMs: number;
  offset: number;
  /** The next line's number at `offset`. */
  line: number;
  /** sha256 of up to 64 bytes before `offset`. */
  checkHash: string;
  session: string | null;
  project: string | null;
  episodes: number;
  problems: number;
  updatedAt: string;
}

export type RunKind = "import" | "watch";

export interface RunSummary {
  kind: RunKind;
  state: "running" | "done" | "stopped" | "failed";
  pid: number;
  startedAt: string;
  /** Last progress (watch: at least every fallback scan). */
  updatedAt: string;
  endedAt: string | null;
  files: number;
  filesWithProblems: number;
  linesSkipped: number;
  episodesStored: number;
  episodesKnown: number;
  inProgress: number;
  error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  offset INTEGER NOT NULL,
  line INTEGER NOT NULL,
  check_hash TEXT NOT NULL,
  session TEXT,
  project TEXT,
  episodes INTEGER NOT NULL DEFAULT 0,
  problems INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (kind TEXT PRIMARY KEY, summary TEXT NOT NULL);
`;

interface FileRow {
  path: string;
  identity: string;
  size: number;
  mtime_ms: number;
  offset: number;
  line: number;
  check_hash: string;
  session: string | null;
  project: string | null;
  episodes: number;
  problems: number;
  updated_at: string;
}

const toState = (r: FileRow): FileState => ({
  path: r.path,
  identity: r.identity,
  size: r.size,
  mtimeMs: r.mtime_ms,
  offset: r.offset,
  line: r.line,
  checkHash: r.check_hash,
  session: r.session,
  project: r.project,
  episodes: r.episodes,
  problems: r.problems,
  updatedAt: r.updated_at,
});

export function transcriptStatePath(dataDir: string): string {
  return join(dataDir, "transcripts.db");
}

export class TranscriptState {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating in a 0700 folder, as a 0600 file) the state; `readonly` needs it to exist. */
  static open(path: string, options: { readonly?: boolean } = {}): TranscriptState {
    if (options.readonly) {
      const db = openSqlite(path, { readonly: true, fileMustExist: true });
      return new TranscriptState(db);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const existed = existsSync(path);
    const db = openSqlite(path, { timeout: 5000 });
    if (!existed) chmodSync(path, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    return new TranscriptState(db);
  }

  /** Every file's state, by path. */
  files(): Map<string, FileState> {
    const rows = this.db.prepare("SELECT * FROM files").all() as FileRow[];
    return new Map(rows.map((r) => [r.path, toState(r)]));
  }

  file(path: string): FileState | null {
    const r = this.db.prepare("SELECT * FROM files WHERE path = ?").get(path) as FileRow | undefined;
    return r ? toState(r) : null;
  }

  /** Writes many file states in one transaction. */
  saveFiles(states: readonly FileState[]): void {
    const put = this.db.prepare(
      `INSERT INTO files (path, identity, size, mtime_ms, offset, line, check_hash, session, project, episodes, problems, updated_at)
       VALUES (@path, @identity, @size, @mtimeMs, @offset, @line, @checkHash, @session, @project, @episodes, @problems, @updatedAt)
       ON CONFLICT (path) DO UPDATE SET identity = excluded.identity, size = excluded.size, mtime_ms = excluded.mtime_ms,
         offset = excluded.offset, line = excluded.line, check_hash = excluded.check_hash, session = excluded.session,
         project = excluded.project, episodes = excluded.episodes, problems = excluded.problems, updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const s of states) put.run(s);
    })();
  }

  run(kind: RunKind): RunSummary | null {
    const r = this.db.prepare("SELECT summary FROM runs WHERE kind = ?").get(kind) as
      | { summary: string }
      | undefined;
    return r ? (JSON.parse(r.summary) as RunSummary) : null;
  }

  saveRun(summary: RunSummary): void {
    this.db
      .prepare(
        "INSERT INTO runs (kind, summary) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET summary = excluded.summary",
      )
      .run(summary.kind, JSON.stringify(summary));
  }

  /** Totals over every file read. */
  totals(): { files: number; episodes: number; filesWithProblems: number } {
    return this.db
      .prepare(
        "SELECT COUNT(*) AS files, COALESCE(SUM(episodes), 0) AS episodes, COALESCE(SUM(problems > 0), 0) AS filesWithProblems FROM files",
      )
      .get() as { files: number; episodes: number; filesWithProblems: number };
  }

  close(): void {
    this.db.close();
  }
}

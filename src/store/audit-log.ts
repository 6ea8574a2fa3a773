import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../files/atomic-write.js";

/**
 * The audit of memory access: one JSON line per memory operation, appended
 * to `audit.jsonl` in the data directory (mode 0600). Never a query or a
 * memory text: only who (entry point, and the token's user in team mode),
 * what, which scope, how many, when.
 *
 * The file is rotated by size (the full file becomes
 * `audit-<when>.jsonl`); rotated files older than the retention are deleted,
 * and so are lines older than the retention at the head of the current file
 * when the log is opened. Writing is a single synchronous append to a file
 * descriptor kept open (a few microseconds); it never throws: a failure
 * (full disk, a file that cannot be opened) goes to `onFailure` once, and
 * again only after a write has succeeded in between.
 */

/** Where an operation came from. `hook` is Claude Code's hooks; `proxy` the capture proxy. */
export type AuditEntry = "cli" | "mcp" | "web" | "hook" | "proxy";

export const AUDIT_OPS = [
  "search",
  "list",
  "get",
  "history",
  "add",
  "update",
  "delete",
  "delete_all",
  "export",
  "import",
  "forget",
] as const;
export type AuditOp = (typeof AUDIT_OPS)[number];

/** Who performed an operation: the entry point, and in team mode the token's user. */
export interface AuditActor {
  entry: AuditEntry;
  /** The token's user (team mode); absent when one person uses the tool. */
  actor?: string | undefined;
}

export interface AuditRecord extends AuditActor {
  /** ISO-8601. */
  ts: string;
  op: AuditOp;
  /** Whose memories (the scope's user_id), when known. */
  user?: string | undefined;
  agent?: string | undefined;
  project?: string | undefined;
  session?: string | undefined;
  /** The memory id, for operations on one memory. */
  id?: string | undefined;
  /** Memories returned (reads) or changed (writes). */
  count: number;
  /** False when the operation failed; `error` is the error's class name, never its message. */
  ok: boolean;
  error?: string | undefined;
}

export interface AuditLogOptions {
  /** Rotate when the current file reaches this many bytes (default 10 MiB). */
  maxBytes?: number;
  /** Delete what is older than this many days (default 90). */
  retentionDays?: number;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  /** A write failed; called once per run of failures. */
  onFailure?: (error: Error) => void;
}

export const AUDIT_FILE = "audit.jsonl";
const ROTATED = /^audit-(\d{8}T\d{6}(?:\d{3})?Z)(?:-\d+)?\.jsonl$/;
const DAY_MS = 86_400_000;

/** `20261203T074500123Z` ↔ Date. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, "");
}
function parseStamp(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +(m[7] ?? 0));
}

export class AuditLog {
  readonly path: string;
  private fd: number | null = null;
  private size = 0;
  private failing = false;
  private readonly maxBytes: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;
  private readonly onFailure: (error: Error) => void;

  constructor(
    readonly dir: string,
    options: AuditLogOptions = {},
  ) {
    this.path = join(dir, AUDIT_FILE);
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.retentionMs = (options.retentionDays ?? 90) * DAY_MS;
    this.now = options.now ?? (() => new Date());
    this.onFailure = options.onFailure ?? (() => {});
    this.safely(() => this.prune());
  }

  /** Appends one line; never throws. */
  write(record: Omit<AuditRecord, "ts">): void {
    const line = `${JSON.stringify({ ts: this.now().toISOString(), ...record })}\n`;
    this.safely(() => {
      if (this.fd === null) this.openCurrent();
      const bytes = Buffer.from(line);
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      writeSync(this.fd as number, bytes);
      this.size += bytes.length;
    });
  }

  /**
   * Removes every line about `user` (as the scope's user or as the actor)
   * from every file, then appends the one line recording the forgetting.
   */
  forget(user: string, by: AuditActor, count: number): void {
    this.safely(() => {
      this.closeCurrent();
      for (const file of this.files()) {
        const kept = readLines(file).filter((l) => {
          const r = parseLine(l);
          return !r || (r.user !== user && r.actor !== user);
        });
        writeFileAtomic(file, kept.length ? `${kept.join("\n")}\n` : "", 0o600);
      }
    });
    this.write({ ...by, op: "forget", user, count, ok: true });
  }

  /** Every record, oldest first (unparseable lines are skipped). */
  read(): AuditRecord[] {
    const out: AuditRecord[] = [];
    for (const file of this.files()) {
      for (const l of readLines(file)) {
        const r = parseLine(l);
        if (r) out.push(r);
      }
    }
    return out;
  }

  close(): void {
    this.safely(() => this.closeCurrent());
  }

  /** The rotated files oldest first, then the current one (those that exist). */
  files(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const rotated = names.filter((n) => ROTATED.test(n)).sort();
    const out = rotated.map((n) => join(this.dir, n));
    if (names.includes(AUDIT_FILE)) out.push(this.path);
    return out;
  }

  private safely(fn: () => void): void {
    try {
      fn();
      this.failing = false;
    } catch (e) {
      this.closeCurrent();
      if (!this.failing) {
        this.failing = true;
        this.onFailure(e as Error);
      }
    }
  }

  private openCurrent(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.fd = openSync(this.path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private closeCurrent(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // already closed or the disk is gone: nothing more to do
    }
  }

  private rotate(): void {
    this.closeCurrent();
    const base = `audit-${stamp(this.now())}`;
    let target = join(this.dir, `${base}.jsonl`);
    for (let i = 1; this.files().includes(target); i++) target = join(this.dir, `${base}-${i}.jsonl`);
    renameSync(this.path, target);
    this.prune();
    this.openCurrent();
  }

  /** Deletes rotated files past the retention, and old lines at the head of the current file. */
  private prune(): void {
    const cutoff = this.now().getTime() - this.retentionMs;
    for (const file of this.files()) {
      const name = file.slice(this.dir.length + 1);
      const m = ROTATED.exec(name);
      // A rotated file's name is when it was rotated: its newest line is no newer.
      if (m && parseStamp(m[1]!) < cutoff) unlinkSync(file);
    }
    // Every command opens the log: only its first line is read unless that one is past the retention.
    const head = firstLine(this.path);
    const first = head === null ? null : parseLine(head);
    if (!first || Date.parse(first.ts) >= cutoff) return;
    const kept = readLines(this.path).filter((l) => {
      const r = parseLine(l);
      return r !== null && Date.parse(r.ts) >= cutoff;
    });
    writeFileAtomic(this.path, kept.length ? `${kept.join("\n")}\n` : "", 0o600);
  }
}

function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return text.split("\n").filter((l) => l.length > 0);
}

/** The first non-empty line of a file, read in small pieces (not the whole file); null when there is none. */
function firstLine(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    const pieces: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(4096);
      const n = readSync(fd, buf, 0, buf.length, null);
      let piece = buf.subarray(0, n);
      // Newlines before the line starts are skipped; a line is whole once a newline follows it.
      if (pieces.length === 0) {
        let start = 0;
        while (start < piece.length && piece[start] === 10) start++;
        piece = piece.subarray(start);
      }
      const end = piece.indexOf(10);
      if (end >= 0 || n === 0) {
        pieces.push(end >= 0 ? piece.subarray(0, end) : piece);
        const line = Buffer.concat(pieces).toString("utf8");
        return line.length > 0 ? line : null;
      }
      if (piece.length > 0) pieces.push(piece);
    }
  } finally {
    closeSync(fd);
  }
}

function parseLine(line: string): AuditRecord | null {
  try {
    const r = JSON.parse(line) as AuditRecord;
    return typeof r === "object" && r !== null && typeof r.ts === "string" && typeof r.op === "string"
      ? r
      : null;
  } catch {
    return null;
  }
}

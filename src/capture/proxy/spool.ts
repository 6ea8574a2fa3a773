import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmdirSync,
  rmSync,
  statSync,
  writevSync,
} from "node:fs";
import { basename, join } from "node:path";
import { crc32 } from "node:zlib";
import type { JournalItem, Outbox } from "../pipeline/outbox.js";

/**
 * The spool: where the forwarding thread makes a finished exchange durable
 * before the client sees the end of its reply. One `writev` appends it to a
 * segment file (`<dataDir>/spool/<pid>-<start>-<random>/<n>.spool`, mode 0600): no SQLite,
 * no lock, no other thread to wait for. The journal mover, on the capture
 * thread (journal-mover.ts), then moves what was spooled into journal.db (group
 * commit), recording in the same transaction how far it has read each
 * segment, and deletes a segment once it has moved all of it. A process
 * killed meanwhile leaves its directory behind: the next start moves what it
 * holds into the journal first (records are checked, so a torn last one is
 * dropped, never half-read).
 *
 * Like the journal's WAL with synchronous=NORMAL, a record written is in the
 * page cache: it survives a killed process, not a power cut.
 *
 * A record: a 16-byte header (record length, meta length, request length,
 * CRC-32 of the first 12 header bytes and the payload, little-endian), then
 * the meta (JSON, UTF-8), the request body and the response body.
 */

/** A body as one buffer, or as the chunks that came. */
export type SpoolBody = Uint8Array | readonly Uint8Array[];

const HEADER = 16;
/** A segment is closed and a new one begun once it holds this much. */
export const SEGMENT_BYTES = 4 * 1024 * 1024;
/** ... or once all of it is in the journal and it holds this much (so its space goes back soon). */
export const SEGMENT_IDLE_BYTES = 64 * 1024;
/** How much of a segment is read at a time. */
const READ_BYTES = 4 * 1024 * 1024;
/** More chunks than this are joined first (one iovec each; IOV_MAX is 1024). */
const MAX_PARTS = 256;

/**
 * This process, as spool directories are named: its pid and when it started. A directory with the
 * same pid and another start is a process before it (pids come round again, in containers above all).
 */
export const THIS_PROCESS = `${process.pid}-${Math.round(performance.timeOrigin).toString(36)}`;

export function spoolRoot(dataDir: string): string {
  return join(dataDir, "spool");
}

const partsOf = (b: SpoolBody): readonly Uint8Array[] => (b instanceof Uint8Array ? [b] : b);
function sizeOf(b: SpoolBody): number {
  let n = 0;
  for (const c of partsOf(b)) n += c.length;
  return n;
}

function segmentName(n: number): string {
  return `${String(n).padStart(8, "0")}.spool`;
}

/** Segment `n` of a run's spool directory. */
export function segmentPath(dir: string, n: number): string {
  return join(dir, segmentName(n));
}

/** A segment's key in journal.db's `spool_read` table: `<run directory>/<n>`. */
export function segmentKey(dir: string, n: number): string {
  return `${basename(dir)}/${n}`;
}

/** The appending side (the forwarding thread): one segment open at a time. */
export class SpoolWriter {
  private fd = -1;
  /** The segment being written (1, 2, ...), and its length: every byte before it is whole records. */
  segment = 0;
  size = 0;
  /** A segment given up after a write that could not be cut back (see `takeEnded`). */
  private ended: { segment: number; end: number } | null = null;

  /** This writer's own directory, `<root>/<pid>-<process start>-<random>` (created here; no other writes it). */
  readonly dir: string;

  constructor(root: string) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    this.dir = join(root, `${THIS_PROCESS}-${randomBytes(3).toString("hex")}`);
    mkdirSync(this.dir, { mode: 0o700 });
  }

  /** The directory's name (what `recoverSpool` is told to leave alone). */
  get name(): string {
    return basename(this.dir);
  }

  path(n = this.segment): string {
    return segmentPath(this.dir, n);
  }

  /**
   * Appends one record, synchronously; throws when it could not be written
   * whole (the segment is cut back to the records before it, or, if even
   * that fails, left and a new one begun).
   */
  append(meta: string, request: SpoolBody, response: SpoolBody): void {
    const metaBytes = Buffer.from(meta, "utf8");
    const requestBytes = sizeOf(request);
    const total = HEADER + metaBytes.length + requestBytes + sizeOf(response);
    let parts: Uint8Array[] = [metaBytes, ...partsOf(request), ...partsOf(response)];
    if (parts.length > MAX_PARTS) parts = [Buffer.concat(parts, total - HEADER)];
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(total, 0);
    header.writeUInt32LE(metaBytes.length, 4);
    header.writeUInt32LE(requestBytes, 8);
    let crc = crc32(header.subarray(0, 12));
    for (const p of parts) crc = crc32(p, crc);
    header.writeUInt32LE(crc >>> 0, 12);
    if (this.fd < 0) this.open();
    const before = this.size;
    try {
      writeAll(this.fd, [header, ...parts], total, before);
    } catch (e) {
      try {
        ftruncateSync(this.fd, before);
      } catch {
        // Cannot cut it back: nothing more goes into this segment (it is read only up to `before`).
        this.ended = { segment: this.segment, end: before };
        this.closeFd();
        this.size = 0;
      }
      throw e;
    }
    this.size += total;
  }

  /** Ends the segment being written (the next append begins another); returns it, or null if none. */
  rotate(): { segment: number; end: number } | null {
    if (this.fd < 0) return null;
    const done = { segment: this.segment, end: this.size };
    this.closeFd();
    this.size = 0;
    return done;
  }

  /** The segment a failed append ended, once (its whole records end at `end`); null if none. */
  takeEnded(): { segment: number; end: number } | null {
    const e = this.ended;
    this.ended = null;
    return e;
  }

  /** Whether a segment is open (appended to, and not ended yet). */
  get writing(): boolean {
    return this.fd >= 0;
  }

  private open(): void {
    this.segment++;
    // A new file (this run's directory is its own): every byte in it is this writer's.
    this.fd = openSync(this.path(), "wx", 0o600);
    this.size = 0;
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = -1;
    try {
      closeSync(fd);
    } catch {
      // already gone
    }
  }
}

/**
 * Writes a record at `at`, the segment's length. Positioned, never at the file offset: a write a full
 * disk cut short moves the offset, and cutting the file back does not move it back, so the next
 * record would land after a hole of zeros that reads as a torn record (and stops every read there).
 */
function writeAll(fd: number, parts: Uint8Array[], total: number, at: number): void {
  let written = writevSync(fd, parts, at);
  while (written < total) {
    // A short write (rare): the rest, from where it stopped.
    let skip = written;
    const rest: Uint8Array[] = [];
    for (const p of parts) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      rest.push(skip > 0 ? p.subarray(skip) : p);
      skip = 0;
    }
    const n = writevSync(fd, rest, at + written);
    if (n <= 0) throw Object.assign(new Error("short write to the spool"), { code: "EIO" });
    written += n;
  }
}

export interface SpoolRead {
  items: JournalItem[];
  /** The offset after the last whole record read. */
  end: number;
  /** A record that is not whole or whose check fails stopped the read (the end of a killed run's segment). */
  torn: boolean;
}

/**
 * Reads whole records of a segment from `from` up to `to` (null: to the end
 * of the file), about READ_BYTES at a time (at least one record).
 */
export function readSpool(path: string, from: number, to: number | null): SpoolRead {
  const fd = openSync(path, "r");
  try {
    const limit = to ?? fstatSync(fd).size;
    const items: JournalItem[] = [];
    let pos = from;
    let read = 0;
    while (pos < limit && read < READ_BYTES) {
      const header = Buffer.alloc(HEADER);
      if (pos + HEADER > limit || readSync(fd, header, 0, HEADER, pos) < HEADER)
        return { items, end: pos, torn: true };
      const total = header.readUInt32LE(0);
      const metaLength = header.readUInt32LE(4);
      const requestLength = header.readUInt32LE(8);
      if (total < HEADER || metaLength + requestLength > total - HEADER || pos + total > limit)
        return { items, end: pos, torn: true };
      const payload = Buffer.allocUnsafe(total - HEADER);
      if (readSync(fd, payload, 0, payload.length, pos + HEADER) < payload.length)
        return { items, end: pos, torn: true };
      if (crc32(payload, crc32(header.subarray(0, 12))) >>> 0 !== header.readUInt32LE(12))
        return { items, end: pos, torn: true };
      items.push({
        meta: payload.toString("utf8", 0, metaLength),
        request: payload.subarray(metaLength, metaLength + requestLength),
        response: payload.subarray(metaLength + requestLength),
      });
      pos += total;
      read += total;
    }
    return { items, end: pos, torn: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * Moves a segment's records from `from` (where it was read to: the journal mover
 * keeps it, a reader after a crash asks `spoolOffset`) to
 * `to` (null: its end) into the journal, a batch per transaction, each
 * recording how far it got. Returns the exchanges moved and where it stopped.
 * `write` wraps each transaction (the journal mover waits for the lock there).
 */
export function drainSegment(
  outbox: Outbox,
  path: string,
  key: string,
  from: number,
  to: number | null,
  write: (fn: () => void) => void = (fn) => fn(),
): { moved: number; end: number; torn: boolean } {
  let pos = from;
  let moved = 0;
  for (;;) {
    const r = readSpool(path, pos, to);
    if (r.items.length > 0) {
      write(() => outbox.journalSpooled(r.items, key, r.end));
      moved += r.items.length;
    }
    pos = r.end;
    if (r.torn || r.items.length === 0 || (to !== null && pos >= to))
      return { moved, end: pos, torn: r.torn };
  }
}

/**
 * Deletes a segment whose records are all in the journal, then its `spool_read` row (in that
 * order: a crash between the two leaves a row for a file that is gone, never a file read twice).
 */
export function dropSegment(
  outbox: Outbox,
  path: string,
  key: string,
  write: (fn: () => void) => void = (fn) => fn(),
): void {
  rmSync(path, { force: true });
  write(() => outbox.forgetSpoolSegment(key));
}

/** Whether the process that named a spool directory (`<pid>-<start>-...`) may still be writing it. */
function mayBeWriting(name: string, thisProcess: string): boolean {
  if (name.startsWith(`${thisProcess}-`)) return true;
  const pid = Number.parseInt(name, 10);
  // Another start with this process's pid is a process before it.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function segmentsIn(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.spool$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Moves everything a spool directory holds into the journal, oldest segment
 * first, and deletes the directory; its segments are never written again
 * (a run that ended, or this run's own once its writer is gone). Returns the
 * exchanges moved.
 */
export function drainDirectory(outbox: Outbox, dir: string, write?: (fn: () => void) => void): number {
  let moved = 0;
  for (const n of segmentsIn(dir)) {
    const path = join(dir, segmentName(n));
    const key = segmentKey(dir, n);
    moved += drainSegment(outbox, path, key, outbox.spoolOffset(key), null, write).moved;
    dropSegment(outbox, path, key, write);
  }
  try {
    rmdirSync(dir);
  } catch {
    // not empty (a file of another kind) or gone: left
  }
  return moved;
}

/** When a directory's first segment was last written (runs are recovered in that order). */
function firstWritten(dir: string): number {
  const first = segmentsIn(dir)[0];
  try {
    return first === undefined ? 0 : statSync(join(dir, segmentName(first))).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * What processes that ended left in the spool (killed, or stopped while the
 * journal could not be written): every directory whose process is gone
 * (`thisProcess`: THIS_PROCESS of the process asking, whose own are left
 * alone), the one written first first. Returns the exchanges moved.
 */
export function recoverSpool(
  outbox: Outbox,
  root: string,
  thisProcess: string,
  write?: (fn: () => void) => void,
): number {
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return 0;
  }
  const ended = dirs
    .filter((d) => /^\d+-[0-9a-z]+-/.test(d) && !mayBeWriting(d, thisProcess))
    .map((d) => join(root, d));
  const order = new Map(ended.map((d) => [d, firstWritten(d)]));
  ended.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  let moved = 0;
  for (const dir of ended) moved += drainDirectory(outbox, dir, write);
  return moved;
}

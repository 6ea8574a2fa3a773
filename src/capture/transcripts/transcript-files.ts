import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { TranscriptLine } from "../../core/transcripts/index.js";

/**
 * Finding and reading Claude Code's transcript files:
 * `<projects dir>/<project slug>/<session id>.jsonl`. Sub-agent transcripts
 * (`<session id>/subagents/agent-*.jsonl`) are not listed: the parent's
 * Agent tool result already carries what the sub-agent found.
 */

/** Claude Code's folder name for a project: every character but letters and digits becomes `-`. */
export function projectSlug(path: string): string {
  return path.replace(/[^a-zA-Z0-9]/g, "-");
}

function jsonlIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith(".jsonl"))
      .map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/** Project folders under the projects folder (those whose name matches `slug`, when given). */
export function projectDirs(root: string, slug?: string): string[] {
  let dirs: string[];
  try {
    dirs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  // Claude Code shortens very long slugs and adds a hash: match on the start too.
  const wanted = slug?.slice(0, 200);
  return dirs.filter((d) => !wanted || d === slug || d.startsWith(wanted)).map((d) => join(root, d));
}

/**
 * Every transcript under `root`, sorted: the `.jsonl` files in `root` itself
 * (a project folder given directly) and in its project folders. `root` may
 * also be one file.
 */
export function listTranscripts(root: string, slug?: string): string[] {
  const st = statSync(root);
  if (st.isFile()) return [root];
  const files = [...jsonlIn(root)];
  for (const d of projectDirs(root, slug)) files.push(...jsonlIn(d));
  return files.sort();
}

/** The session a file is named for (`<session id>.jsonl`). */
export function sessionOfFile(path: string): string {
  return basename(path, ".jsonl");
}

export function fileIdentity(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

/** sha256 of up to 64 bytes before `offset` (what the state checks to trust an offset). */
export function hashBefore(fd: number, offset: number): string {
  const start = Math.max(0, offset - 64);
  const buf = Buffer.alloc(offset - start);
  if (buf.length > 0) readSync(fd, buf, 0, buf.length, start);
  return createHash("sha256").update(buf).digest("hex");
}

export interface ReadFrom {
  stat: Stats;
  /** Whole lines from `offset`. */
  lines: TranscriptLine[];
  /** Bytes after the last line ending (a line still being written, or cut). */
  tail: TranscriptLine | null;
  /** The offset after the last whole line. */
  end: number;
  /** Whether the saved offset could be trusted (else the file was read from 0). */
  resumed: boolean;
  /** The file is shorter than the saved offset or its bytes before it changed: read again from the start. */
  restarted: boolean;
}

/**
 * Reads a file from `offset` (when the bytes before it still hash to
 * `checkHash`; else from the start), split into lines with their byte
 * offsets. Throws the file system's error (ENOENT, EACCES, EISDIR).
 */
export function readFrom(
  path: string,
  at: { offset: number; line: number; checkHash: string; identity: string } | null,
): ReadFrom {
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    let offset = 0;
    let line = 1;
    let restarted = false;
    if (at && at.offset > 0) {
      const same =
        fileIdentity(stat) === at.identity &&
        stat.size >= at.offset &&
        hashBefore(fd, at.offset) === at.checkHash;
      if (same) {
        offset = at.offset;
        line = at.line;
      } else restarted = true;
    }
    const buf = Buffer.alloc(stat.size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    const lines: TranscriptLine[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= got) break;
      const endText = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      lines.push({ text: buf.toString("utf8", start, endText), line: line++, offset: offset + start });
      start = nl + 1;
    }
    const tail =
      start < got ? { text: buf.toString("utf8", start, got), line, offset: offset + start } : null;
    return { stat, lines, tail, end: offset + start, resumed: offset > 0, restarted };
  } finally {
    closeSync(fd);
  }
}

/** `hashBefore` on a file by path. */
export function hashFileBefore(path: string, offset: number): string {
  const fd = openSync(path, "r");
  try {
    return hashBefore(fd, offset);
  } finally {
    closeSync(fd);
  }
}

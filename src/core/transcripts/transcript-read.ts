/**
 * The lines of a transcript (or of the part not yet read) → its entries,
 * the lines that could not be read and why, and the session's fields.
 * Pure: the caller reads the bytes.
 */
import { parseTranscriptLine, type TranscriptEntry } from "./transcript-line.js";

export interface TranscriptLine {
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset where the line starts. */
  offset: number;
}

export interface LineProblem {
  line: number;
  /** Byte offset where the line starts. */
  offset: number;
  reason: string;
}

export interface TranscriptRead {
  entries: TranscriptEntry[];
  problems: LineProblem[];
  /** The first `sessionId` and `cwd` seen. */
  session: string | null;
  cwd: string | null;
}

export function readTranscriptLines(lines: Iterable<TranscriptLine>): TranscriptRead {
  const out: TranscriptRead = { entries: [], problems: [], session: null, cwd: null };
  for (const l of lines) {
    const r = parseTranscriptLine(l.text, l.line, l.offset);
    if (r.kind === "ignored") continue;
    if (r.kind === "problem") out.problems.push({ line: l.line, offset: l.offset, reason: r.reason });
    const entry = r.entry;
    if (!entry) continue;
    out.session ??= entry.sessionId;
    if (!entry.isSidechain) out.cwd ??= entry.cwd;
    out.entries.push(entry);
  }
  return out;
}

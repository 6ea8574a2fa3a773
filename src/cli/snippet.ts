/**
 * What a search result line shows of a memory: the part around the words that
 * matched (by stem, as the full-text index matches them), not its first
 * hundred characters, with the matched words marked on a terminal.
 */
import { stem } from "../core/search/stem.js";
import { STOP_WORDS } from "../core/search/stop-words.js";
import { wordTokens } from "../core/search/text-tokens.js";

export interface Marks {
  start: string;
  end: string;
}

/** Bold yellow, then reset: what a terminal shows for a matched word. */
export const TERMINAL_MARKS: Marks = { start: "\x1b[1;33m", end: "\x1b[0m" };

const WORD = /[\p{L}\p{N}]+/gu;

/** The text on one line (runs of white space become one space). */
export function flatten(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Start and end offsets in `text` of the words whose stem is the stem of a query word. */
export function matchRanges(text: string, query: string): [number, number][] {
  const stems = new Set(
    wordTokens(query)
      .filter((t) => !STOP_WORDS.has(t))
      .map(stem),
  );
  if (stems.size === 0) return [];
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(WORD)) {
    const [token] = wordTokens(m[0]);
    if (token !== undefined && stems.has(stem(token))) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

/**
 * At most `width` characters of `text` (flattened), around the first match of
 * `query` (a third of the window before it), with `…` where text was cut and
 * each match wrapped in `marks` when given. No match: the text's start.
 */
export function snippet(text: string, query: string | null, width = 100, marks?: Marks): string {
  const flat = flatten(text);
  const ranges = query ? matchRanges(flat, query) : [];
  let start = 0;
  const first = ranges[0];
  if (first && flat.length > width)
    start = Math.max(0, Math.min(first[0] - Math.floor(width / 3), flat.length - width));
  const end = Math.min(flat.length, start + width);
  const out = marked(flat, ranges, marks, start, end);
  return `${start > 0 ? "…" : ""}${out}${end < flat.length ? "…" : ""}`;
}

/** `text[start, end)` with each range inside it wrapped in `marks` (unchanged without marks). */
function marked(
  text: string,
  ranges: [number, number][],
  marks: Marks | undefined,
  start = 0,
  end = text.length,
) {
  if (!marks) return text.slice(start, end);
  let out = "";
  let at = start;
  for (const [s, e] of ranges) {
    if (s < start || e > end) continue;
    out += `${text.slice(at, s)}${marks.start}${text.slice(s, e)}${marks.end}`;
    at = e;
  }
  return out + text.slice(at, end);
}

/** The whole text, its lines kept, with the words of `query` wrapped in `marks`. */
export function markMatches(text: string, query: string | null, marks?: Marks): string {
  return query && marks ? marked(text, matchRanges(text, query), marks) : text;
}

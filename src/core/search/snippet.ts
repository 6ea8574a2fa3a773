import { stem } from "./stem.js";
import { wordTokens } from "./text-tokens.js";

/**
 * Snippets for showing search results: the parts of a memory around the
 * words that matched the query (compared by Porter stem, as the full-text
 * index compares them, plus a prefix match for the word still being typed),
 * with the matched words marked. Pure: the caller renders the segments.
 */

export interface SnippetSegment {
  text: string;
  /** A word that matched the query. */
  hit: boolean;
}

export interface Snippet {
  segments: SnippetSegment[];
  /** How many query words were found in the text. */
  hits: number;
}

export interface SnippetOptions {
  /** Characters of context before and after each match (default 90). */
  context?: number;
  /** At most this many separate windows (default 3). */
  windows?: number;
  /** Shown when nothing matched (default 240). */
  fallbackChars?: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
const ELLIPSIS = "…";
/** The last word of a query typed so far matches words it begins (search as you type). */
const MIN_PREFIX = 3;

interface Matcher {
  stems: Set<string>;
  prefix: string | null;
}

function matcherFor(query: string): Matcher {
  const tokens = wordTokens(query);
  const stems = new Set(tokens.map(stem));
  const last = tokens[tokens.length - 1];
  const typing = last !== undefined && !/[\s\p{P}]$/u.test(query);
  return { stems, prefix: typing && last.length >= MIN_PREFIX ? last : null };
}

function isHit(word: string, m: Matcher): boolean {
  const [token] = wordTokens(word);
  if (token === undefined) return false;
  return m.stems.has(stem(token)) || (m.prefix !== null && token.startsWith(m.prefix));
}

/** Character ranges [start, end) of the words in `text` that match. */
export function matchRanges(text: string, query: string): [number, number][] {
  const m = matcherFor(query);
  if (m.stems.size === 0) return [];
  const out: [number, number][] = [];
  for (const match of text.matchAll(WORD)) {
    if (isHit(match[0], m)) out.push([match.index, match.index + match[0].length]);
  }
  return out;
}

/** Moves `i` back (dir -1) or forward (dir 1) to a space so a window does not cut a word. */
function toSpace(text: string, i: number, dir: -1 | 1): number {
  if (i <= 0) return 0;
  if (i >= text.length) return text.length;
  for (let j = i, steps = 0; j > 0 && j < text.length && steps < 20; j += dir, steps++) {
    if (/\s/.test(text[j]!)) return dir === -1 ? j + 1 : j;
  }
  return i;
}

/** The text between `from` and `to` split into plain and matched segments. */
function segmentsOf(text: string, from: number, to: number, ranges: [number, number][]): SnippetSegment[] {
  const out: SnippetSegment[] = [];
  let at = from;
  for (const [s, e] of ranges) {
    if (e <= from || s >= to) continue;
    if (s > at) out.push({ text: text.slice(at, s), hit: false });
    out.push({ text: text.slice(Math.max(s, from), Math.min(e, to)), hit: true });
    at = Math.min(e, to);
  }
  if (at < to) out.push({ text: text.slice(at, to), hit: false });
  return out;
}

/** The parts of `text` around what matched `query`, or its beginning when nothing did. */
export function snippet(text: string, query: string, options: SnippetOptions = {}): Snippet {
  const context = options.context ?? 90;
  const maxWindows = options.windows ?? 3;
  const flat = text.replace(/\s+/g, " ").trim();
  const ranges = matchRanges(flat, query);
  if (ranges.length === 0) {
    const limit = options.fallbackChars ?? 240;
    const end = flat.length > limit ? toSpace(flat, limit, -1) : flat.length;
    const segments = [{ text: flat.slice(0, end), hit: false }];
    if (end < flat.length) segments.push({ text: ELLIPSIS, hit: false });
    return { segments, hits: 0 };
  }
  // Windows around matches, merged when they overlap, the first `maxWindows` kept.
  const windows: [number, number][] = [];
  for (const [s, e] of ranges) {
    const start = toSpace(flat, s - context, -1);
    const end = toSpace(flat, e + context, 1);
    const last = windows[windows.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else if (windows.length < maxWindows) windows.push([start, end]);
  }
  const segments: SnippetSegment[] = [];
  for (const [i, [start, end]] of windows.entries()) {
    if (start > 0 || i > 0) segments.push({ text: `${ELLIPSIS} `, hit: false });
    segments.push(...segmentsOf(flat, start, end, ranges));
  }
  if ((windows[windows.length - 1]?.[1] ?? 0) < flat.length)
    segments.push({ text: ` ${ELLIPSIS}`, hit: false });
  const hitWords = new Set(ranges.map(([s, e]) => stem(wordTokens(flat.slice(s, e))[0] ?? "")));
  return { segments, hits: hitWords.size };
}

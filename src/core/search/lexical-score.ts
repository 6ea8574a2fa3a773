import { stem } from "./stem.js";
import { asciiTokenSpans, wordTokens } from "./text-tokens.js";

/** One query term: its Porter stem and how rare it is in the store. */
export interface WeightedTerm {
  stem: string;
  /** Inverse document frequency (> 0). */
  idf: number;
  /**
   * A word the query did not contain (pseudo-relevance feedback): it adds to
   * BM25 strength, never to coverage, so the score scale is the query's own.
   */
  expansion?: boolean | undefined;
}

/** A text to match and how much its words count (1 for the memory itself, less for its neighbours). */
export interface WeightedText {
  text: string;
  weight: number;
}

/** BM25 constants (the usual ones; SQLite's bm25() uses the same). */
const K1 = 1.2;
const B = 0.75;
/** Share of the score that comes from weighted coverage; the rest is BM25 strength relative to the best hit. */
const COVERAGE_WEIGHT = 0.7;

/** Lucene's BM25 IDF: always positive, so a word in most memories still counts a little. */
export function inverseDocumentFrequency(docs: number, docsWithTerm: number): number {
  const n = Math.max(docs, docsWithTerm);
  return Math.log(1 + (n - docsWithTerm + 0.5) / (docsWithTerm + 0.5));
}

export interface TermMatch {
  /** Share of the query's IDF weight whose words occur in the text, in [0, 1]. */
  coverage: number;
  /** BM25 of the text for the query. */
  bm25: number;
}

/**
 * How often each of the counter's stems occurs in one text: `pairs` holds
 * (slot, count) pairs for the stems present (slots index `StemCounter.stems`),
 * `length` is the text's length in tokens.
 */
export interface TextCounts {
  readonly pairs: readonly number[];
  readonly length: number;
}

/**
 * Counts of a fixed set of stems (the terms it was made for) in texts,
 * memoised per text: a memory is scored once as a hit and again as context
 * of its neighbours.
 */
export interface StemCounter {
  (text: string): TextCounts;
  /** The distinct stems counted, by slot. */
  readonly stems: readonly string[];
  /** Slot of each stem. */
  readonly slots: ReadonlyMap<string, number>;
}

/**
 * What the counters of one search share, so that a second scoring pass
 * (pseudo-relevance feedback) tokenises nothing twice: non-ASCII texts'
 * tokens, and where ASCII texts' tokens are (start and end offsets, in
 * pairs; null for a text found not to be ASCII), as the first scan of each
 * found them. (Stems are memoised by stem() itself.)
 */
export interface TextCache {
  tokens: Map<string, string[]>;
  spans: Map<string, number[] | null>;
}

export function textCache(): TextCache {
  return { tokens: new Map(), spans: new Map() };
}

/** The text's tokens, from the cache or tokenised once. */
export function cachedTokens(cache: TextCache, text: string): string[] {
  let tokens = cache.tokens.get(text);
  if (!tokens) {
    tokens = wordTokens(text);
    cache.tokens.set(text, tokens);
  }
  return tokens;
}

const NO_PAIRS: readonly number[] = [];
/** First characters below this code are looked up in a table. */
const FIRST_CODES = 0x250;

/** Adds one occurrence of `slot` to (slot, count) pairs. */
function addPair(pairs: number[], slot: number): void {
  let j = 0;
  while (j < pairs.length && pairs[j] !== slot) j += 2;
  if (j < pairs.length) pairs[j + 1] = (pairs[j + 1] ?? 0) + 1;
  else pairs.push(slot, 1);
}

/** A counter of the stems of `terms` (see StemCounter). */
export function stemCounter(terms: readonly WeightedTerm[], cache: TextCache = textCache()): StemCounter {
  const slots = new Map<string, number>();
  for (const t of terms) if (!slots.has(t.stem)) slots.set(t.stem, slots.size);
  // Porter keeps first letters, so most words are skipped unstemmed (by a table of
  // first characters, no hashing); the others' slot (-1: none) is looked up once per counter.
  const firstCodes = new Uint8Array(FIRST_CODES);
  const otherFirsts = new Set<number>();
  for (const t of terms) {
    const code = t.stem.charCodeAt(0);
    if (code < FIRST_CODES) firstCodes[code] = 1;
    else otherFirsts.add(code);
  }
  const slotOf = new Map<string, number>();
  const slotFor = (token: string): number => {
    let slot = slotOf.get(token);
    if (slot === undefined) {
      slot = slots.get(stem(token)) ?? -1;
      slotOf.set(token, slot);
    }
    return slot;
  };
  /** Any text, by its tokens (wordTokens). */
  const countTokens = (tokens: readonly string[]): TextCounts => {
    let pairs: number[] | null = null;
    for (const token of tokens) {
      const code = token.charCodeAt(0);
      if (code < FIRST_CODES ? firstCodes[code] === 0 : !otherFirsts.has(code)) continue;
      const slot = slotFor(token);
      if (slot < 0) continue;
      pairs ??= [];
      addPair(pairs, slot);
    }
    return { pairs: pairs ?? NO_PAIRS, length: tokens.length };
  };
  /**
   * An ASCII text by where its tokens are (asciiTokenSpans: the same tokens as wordTokens), found
   * once per search and kept in the cache for the next counter: only the tokens whose first letter
   * some stem has are cut out as strings. Null when the text has a non-ASCII character (then
   * wordTokens decides).
   */
  const countAscii = (text: string): TextCounts | null => {
    let spans = cache.spans.get(text);
    if (spans === undefined) {
      spans = asciiTokenSpans(text);
      cache.spans.set(text, spans);
    }
    return spans && countSpans(text, spans);
  };
  /** An ASCII text by its token offsets. */
  const countSpans = (text: string, spans: readonly number[]): TextCounts => {
    let lower: string | null = null;
    let pairs: number[] | null = null;
    for (let k = 0; k < spans.length; k += 2) {
      const start = spans[k] ?? 0;
      let first = text.charCodeAt(start);
      if (first >= 65 && first <= 90) first += 32;
      if (firstCodes[first] !== 1) continue;
      lower ??= text.toLowerCase();
      const slot = slotFor(lower.slice(start, spans[k + 1]));
      if (slot >= 0) {
        pairs ??= [];
        addPair(pairs, slot);
      }
    }
    return { pairs: pairs ?? NO_PAIRS, length: spans.length / 2 };
  };
  const seen = new Map<string, TextCounts>();
  const counter = (text: string): TextCounts => {
    const hit = seen.get(text);
    if (hit) return hit;
    const result = countAscii(text) ?? countTokens(cachedTokens(cache, text));
    seen.set(text, result);
    return result;
  };
  return Object.assign(counter, { stems: [...slots.keys()], slots });
}

/**
 * BM25F over weighted texts: each text's term counts are length-normalised
 * on their own (against `avgTokens`), weighted, summed, then saturated once.
 * A word counts towards coverage in proportion to the weight of the texts it
 * occurs in (capped at 1), so a word found only in a neighbour counts less.
 * `count` must count the stems of `terms` (stemCounter(terms), or of a
 * superset of them).
 */
export function matchFields(
  terms: readonly WeightedTerm[],
  fields: readonly WeightedText[],
  avgTokens: number,
  count: StemCounter = stemCounter(terms),
): TermMatch {
  const size = count.stems.length;
  let weightedTf: Float64Array | null = null;
  let presence: Float64Array | null = null;
  for (const field of fields) {
    if (field.weight <= 0) continue;
    const { pairs, length } = count(field.text);
    if (pairs.length === 0) continue;
    weightedTf ??= new Float64Array(size);
    presence ??= new Float64Array(size);
    const lengthNorm = 1 - B + (B * length) / Math.max(avgTokens, 1);
    for (let j = 0; j < pairs.length; j += 2) {
      const slot = pairs[j] ?? 0;
      weightedTf[slot] = (weightedTf[slot] ?? 0) + (field.weight * (pairs[j + 1] ?? 0)) / lengthNorm;
      presence[slot] = (presence[slot] ?? 0) + field.weight;
    }
  }
  let covered = 0;
  let total = 0;
  let bm25 = 0;
  for (const term of terms) {
    if (!term.expansion) total += term.idf;
    if (!weightedTf || !presence) continue;
    const slot = count.slots.get(term.stem);
    if (slot === undefined) continue;
    const tf = weightedTf[slot] ?? 0;
    if (tf === 0) continue;
    if (!term.expansion) covered += term.idf * Math.min(1, presence[slot] ?? 0);
    bm25 += (term.idf * tf * (K1 + 1)) / (tf + K1);
  }
  return { coverage: total > 0 ? covered / total : 0, bm25 };
}

/** Matches `terms` against the words of one text by stem. */
export function matchTerms(
  terms: readonly WeightedTerm[],
  text: string,
  avgTokens: number,
  count: StemCounter = stemCounter(terms),
): TermMatch {
  return matchFields(terms, [{ text, weight: 1 }], avgTokens, count);
}

/** The query's own terms (expansion terms excluded). */
export function queryTermCount(terms: readonly WeightedTerm[]): number {
  return terms.filter((t) => !t.expansion).length;
}

/**
 * Scores in (0, 1] from matches of one query, higher is better, comparable
 * across queries and store sizes: mostly the IDF-weighted share of query
 * words a memory contains, the rest its BM25 relative to the best match.
 */
export function scoreMatches(matches: readonly TermMatch[], termCount: number): number[] {
  const best = Math.max(0, ...matches.map((m) => m.bm25));
  const floor = 0.5 / Math.max(termCount, 1);
  return matches.map((m) => {
    const relative = best > 0 ? m.bm25 / best : 1;
    const score = Math.max(m.coverage, floor) * (COVERAGE_WEIGHT + (1 - COVERAGE_WEIGHT) * relative);
    return Math.min(1, Math.max(score, Number.MIN_VALUE));
  });
}

/**
 * `scoreMatches` for plain texts. (SQLite's raw bm25() is not usable as a
 * score: it clamps IDF to ~0 in small stores, so a perfect match in a store
 * of two memories would score ~1e-6 and any threshold would drop it.)
 */
export function lexicalScores(
  terms: readonly WeightedTerm[],
  texts: readonly string[],
  avgTokens: number,
  count: StemCounter = stemCounter(terms),
): number[] {
  return scoreMatches(
    texts.map((text) => matchTerms(terms, text, avgTokens, count)),
    queryTermCount(terms),
  );
}

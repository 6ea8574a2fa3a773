import { stem } from "./stem.js";
import { STOP_WORDS } from "./stop-words.js";
import { wordTokens } from "./text-tokens.js";

/** At most this many distinct terms go into one query (10 kB of pasted text stays cheap). */
export const MAX_QUERY_TERMS = 16;

export interface FtsQuery {
  /** FTS5 MATCH expression: an OR of quoted terms. Always valid FTS5 syntax. */
  match: string;
  /** The words searched for (case-folded), in query order. */
  terms: string[];
  /** Their Porter stems, one per term, all distinct. */
  stems: string[];
}

/** FTS5 string literal: double quotes inside are doubled, so nothing in it is syntax. */
export function quoteFtsString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * Turns any text a person or a model typed into a safe FTS5 MATCH expression.
 * Operators (AND, OR, NOT, NEAR), quotes, `*`, `^`, column filters (`x:`),
 * brackets, emoji and control characters are never syntax here: the text is
 * split into words, stop words are dropped (unless nothing else is left),
 * words with the same stem are kept once, at most `maxTerms` are kept, and
 * each is quoted. Returns null when no searchable word is left.
 */
export function buildFtsQuery(text: string, maxTerms: number = MAX_QUERY_TERMS): FtsQuery | null {
  const tokens = wordTokens(text);
  const meaningful = tokens.filter((t) => !STOP_WORDS.has(t));
  const chosen = meaningful.length > 0 ? meaningful : tokens;
  const terms: string[] = [];
  const stems: string[] = [];
  const seen = new Set<string>();
  for (const token of chosen) {
    const s = stem(token);
    if (seen.has(s)) continue;
    seen.add(s);
    terms.push(token);
    stems.push(s);
    if (terms.length >= maxTerms) break;
  }
  if (terms.length === 0) return null;
  return { match: terms.map(quoteFtsString).join(" OR "), terms, stems };
}

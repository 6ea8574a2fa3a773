import { stemmer } from "stemmer";

/**
 * Porter stems, the same algorithm as SQLite's `porter` tokenizer, so a
 * query word and the words of a stored memory can be compared the way the
 * full-text index compares them. Memoised: vocabulary repeats a lot.
 */
const cache = new Map<string, string>();
const CACHE_LIMIT = 50_000;

/** Stem of one case-folded token (see `wordTokens`). */
export function stem(token: string): string {
  const hit = cache.get(token);
  if (hit !== undefined) return hit;
  // Porter leaves tokens shorter than 3 characters alone.
  const value = token.length < 3 ? token : stemmer(token);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(token, value);
  return value;
}

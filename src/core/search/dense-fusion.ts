/**
 * Fuses the lexical ranking with a dense (embedding) retriever. Measured on
 * LoCoMo (docs/search.md): rank fusion at equal weight loses recall, since the
 * lexical ranking is the stronger one; what helps is a small bonus for
 * memories whose embedding is unusually close to the query's, measured in
 * standard deviations above the mean similarity of the user's memories. Pure:
 * the store computes the distances (sqlite-vec, pgvector, ...).
 */

/** One memory found by the dense retriever, and its cosine distance to the query (0 = same direction). */
export interface DenseHit<K> {
  key: K;
  distance: number;
}

/** Mean and standard deviation of the query's cosine distance over the memories searched. */
export interface DistanceStats {
  mean: number;
  sd: number;
}

/** The bonus is full at this many standard deviations closer than the mean. */
export const FULL_BONUS_AT_SD = 3;
/** Default weight of the dense bonus next to the lexical score (which is in (0, 1]). */
export const DEFAULT_DENSE_WEIGHT = 0.1;

/** Dense bonus in [0, 1] of one distance: 0 at or beyond the mean, 1 at FULL_BONUS_AT_SD closer. */
export function denseBonus(distance: number, stats: DistanceStats): number {
  if (!(stats.sd > 0) || !Number.isFinite(distance)) return 0;
  const z = (stats.mean - distance) / stats.sd;
  return Math.min(1, Math.max(0, z / FULL_BONUS_AT_SD));
}

/**
 * Fused scores in (0, 1]: `(lexical + weight × bonus) / (1 + weight)` for
 * every memory that either retriever found (a memory only the dense side
 * found has lexical 0). `weight` 0 gives the lexical scores back unchanged
 * in order.
 */
export function fuseDense<K>(
  lexical: ReadonlyMap<K, number>,
  dense: readonly DenseHit<K>[],
  stats: DistanceStats,
  weight: number = DEFAULT_DENSE_WEIGHT,
): Map<K, number> {
  const w = Number.isFinite(weight) && weight > 0 ? weight : 0;
  const bonus = new Map<K, number>();
  for (const hit of dense)
    bonus.set(hit.key, Math.max(bonus.get(hit.key) ?? 0, denseBonus(hit.distance, stats)));
  const fused = new Map<K, number>();
  for (const key of new Set([...lexical.keys(), ...bonus.keys()])) {
    const score = ((lexical.get(key) ?? 0) + w * (bonus.get(key) ?? 0)) / (1 + w);
    if (score > 0) fused.set(key, Math.min(1, score));
  }
  return fused;
}

/** The text of a memory an embedding model is given: the start of it (models read a bounded number of tokens). */
export const EMBEDDED_CHARS = 2000;

export function textToEmbed(memory: string): string {
  return memory.length > EMBEDDED_CHARS ? memory.slice(0, EMBEDDED_CHARS) : memory;
}

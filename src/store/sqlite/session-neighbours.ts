import { NEIGHBOURS_PER_SIDE, type Neighbours } from "../../core/search/memory-ranking.js";
import type { StatementCache } from "./statement-cache.js";

/** What ranking needs of a memory; the full row is read only for the results. */
export interface SearchRow {
  pk: number;
  user_id: string;
  run_id: string | null;
  created_at: string;
  memory: string;
}

export const SEARCH_COLUMNS = "m.pk, m.user_id, m.run_id, m.created_at, m.memory";

/** A candidate memory and the texts of its session neighbours. */
export interface Candidate {
  row: SearchRow;
  neighbours: Neighbours;
}

// Session order is (created_at, pk): the proxy writes turns in order, an import keeps their times.
// Both walk the (user_id, run_id, created_at) index outwards from the memory.
const BEFORE = `SELECT ${SEARCH_COLUMNS} FROM memories AS m
  WHERE m.user_id = ? AND m.run_id = ? AND (m.created_at, m.pk) < (?, ?)
  ORDER BY m.created_at DESC, m.pk DESC LIMIT ?`;
const AFTER = `SELECT ${SEARCH_COLUMNS} FROM memories AS m
  WHERE m.user_id = ? AND m.run_id = ? AND (m.created_at, m.pk) > (?, ?)
  ORDER BY m.created_at, m.pk LIMIT ?`;

/**
 * Session neighbours (same user and run_id) of full-text hits. Each hit's
 * NEIGHBOURS_PER_SIDE neighbours on each side become candidates too (a reply
 * often lacks the words of the question it answers), and every candidate
 * gets the texts of its own neighbours as context: so the window read around
 * a hit reaches twice as far. A memory without a run_id has no neighbours.
 */
export class SessionNeighbours {
  constructor(private readonly statements: StatementCache) {}

  /** The session of `row` from `reach` memories before it to `reach` after it, in order, and where `row` is. */
  private window(row: SearchRow, reach: number): [session: SearchRow[], at: number] {
    if (row.run_id === null) return [[row], 0];
    const args = [row.user_id, row.run_id, row.created_at, row.pk, reach];
    const before = (this.statements.get(BEFORE).all(...args) as SearchRow[]).reverse();
    const after = this.statements.get(AFTER).all(...args) as SearchRow[];
    return [[...before, row, ...after], before.length];
  }

  /** The hits and their neighbours, each once, with their neighbours' texts (nearest first). */
  expand(hits: Iterable<SearchRow>): Map<number, Candidate> {
    return expandSessions(hits, (hit) => this.window(hit, 2 * NEIGHBOURS_PER_SIDE));
  }
}

/**
 * The hits and their session neighbours, each once, with their neighbours'
 * texts (nearest first), given each hit's session window (`reach` = twice
 * NEIGHBOURS_PER_SIDE on each side) and where the hit is in it. Shared by
 * the SQL backends, which differ only in how they read windows.
 */
export function expandSessions<R extends { pk: number; memory: string }>(
  hits: Iterable<R>,
  windowOf: (hit: R) => [session: R[], at: number],
): Map<number, { row: R; neighbours: Neighbours }> {
  const found = new Map<number, { row: R; neighbours: Neighbours }>();
  const reach = NEIGHBOURS_PER_SIDE;
  const earlier = Array.from({ length: reach }, (_, k) => -(k + 1));
  const later = earlier.map((offset) => -offset);
  for (const hit of hits) {
    const [session, at] = windowOf(hit);
    for (let j = Math.max(0, at - reach); j <= Math.min(session.length - 1, at + reach); j++) {
      const row = session[j];
      if (!row || found.has(row.pk)) continue;
      const texts = (offsets: number[]) =>
        offsets.flatMap((offset) => {
          const near = session[j + offset];
          return near ? [near.memory] : [];
        });
      found.set(row.pk, { row, neighbours: { before: texts(earlier), after: texts(later) } });
    }
  }
  return found;
}

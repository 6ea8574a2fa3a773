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

/** What ranking needs of a session neighbour (its own neighbours are never read). */
export type ContextRow = Pick<SearchRow, "pk" | "created_at" | "memory">;

/** A candidate memory and the texts of its session neighbours. */
export interface Candidate {
  row: ContextRow;
  neighbours: Neighbours;
}

// Session order is (created_at, pk): the proxy writes turns in order, an import keeps their times.
// One statement reads the windows of all hits (one statement per hit and side cost 3x as much at
// 100k memories): for each hit (pk, user_id, run_id, created_at in the JSON array) the `reach`
// memories before it and the `reach` after it, each side walking the (user_id, run_id,
// created_at) index outwards from the hit. Rows come per hit and side in no set order; they are
// put in session order in JS (an ORDER BY made SQLite copy every row's text through a sorter).
const WINDOWS = `WITH h AS (
    SELECT value ->> 0 AS pk, value ->> 1 AS user_id, value ->> 2 AS run_id, value ->> 3 AS created_at
    FROM json_each(?))
  SELECT h.pk AS hit, -1 AS side, m.pk, m.created_at, m.memory FROM h JOIN memories AS m ON m.pk IN (
    SELECT x.pk FROM memories AS x
    WHERE x.user_id = h.user_id AND x.run_id = h.run_id AND (x.created_at, x.pk) < (h.created_at, h.pk)
    ORDER BY x.created_at DESC, x.pk DESC LIMIT ?)
  UNION ALL
  SELECT h.pk AS hit, 1 AS side, m.pk, m.created_at, m.memory FROM h JOIN memories AS m ON m.pk IN (
    SELECT x.pk FROM memories AS x
    WHERE x.user_id = h.user_id AND x.run_id = h.run_id AND (x.created_at, x.pk) > (h.created_at, h.pk)
    ORDER BY x.created_at, x.pk LIMIT ?)`;

type WindowRow = ContextRow & { hit: number; side: number };

/** Session order: created_at (normalised ISO-8601, so string order is time order), then insertion. */
const inSessionOrder = (a: ContextRow, b: ContextRow): number =>
  a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.pk - b.pk;

/**
 * Session neighbours (same user and run_id) of full-text hits. Each hit's
 * NEIGHBOURS_PER_SIDE neighbours on each side become candidates too (a reply
 * often lacks the words of the question it answers), and every candidate
 * gets the texts of its own neighbours as context: so the window read around
 * a hit reaches twice as far. A memory without a run_id has no neighbours.
 */
export class SessionNeighbours {
  constructor(private readonly statements: StatementCache) {}

  /** Each hit's session from `reach` memories before it to `reach` after it, in order, and where the hit is. */
  private windows(
    hits: readonly SearchRow[],
    reach: number,
  ): Map<number, [session: ContextRow[], at: number]> {
    const sides = new Map<number, { before: ContextRow[]; after: ContextRow[] }>();
    const inSessions = hits.filter((hit) => hit.run_id !== null);
    if (inSessions.length > 0) {
      const rows = this.statements
        .get(WINDOWS)
        .all(
          JSON.stringify(inSessions.map((h) => [h.pk, h.user_id, h.run_id, h.created_at])),
          reach,
          reach,
        ) as WindowRow[];
      for (const row of rows) {
        let found = sides.get(row.hit);
        if (!found) {
          found = { before: [], after: [] };
          sides.set(row.hit, found);
        }
        (row.side < 0 ? found.before : found.after).push(row);
      }
    }
    const windows = new Map<number, [ContextRow[], number]>();
    for (const hit of hits) {
      const found = sides.get(hit.pk);
      if (!found) {
        windows.set(hit.pk, [[hit], 0]);
        continue;
      }
      found.before.sort(inSessionOrder);
      found.after.sort(inSessionOrder);
      windows.set(hit.pk, [[...found.before, hit, ...found.after], found.before.length]);
    }
    return windows;
  }

  /** The hits and their neighbours, each once, with their neighbours' texts (nearest first). */
  expand(hits: readonly SearchRow[]): Map<number, Candidate> {
    const windows = this.windows(hits, 2 * NEIGHBOURS_PER_SIDE);
    return expandSessions<ContextRow>(hits, (hit) => windows.get(hit.pk) ?? [[hit], 0]);
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

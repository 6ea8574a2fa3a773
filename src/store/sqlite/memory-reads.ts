import { statSync } from "node:fs";
import type Database from "better-sqlite3";
import { buildFtsQuery } from "../../core/search/fts-query.js";
import { lexicalScores } from "../../core/search/lexical-score.js";
import type { HistoryEvent, Memory, MemoryPage, ScoredMemory, StoreStats } from "../../core/types.js";
import { filtersToSql } from "./filters-sql.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import { type HistoryRow, MEMORY_COLUMNS, type MemoryRow, toHistoryEvent, toMemory } from "./row-mapping.js";
import type { StatementCache } from "./statement-cache.js";
import type { CheckedFilters } from "./validate-input.js";

type SearchRow = MemoryRow & { bm25: number };

/** Full-text hits ranked by BM25 before scoring; a few times `limit` so coverage can reorder them. */
export function candidatePool(limit: number): number {
  return Math.min(Math.max(limit * 4, 40), 1000);
}

export class MemoryReads {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly dbPath: string,
  ) {}

  get(id: string, userId?: string): Memory | null {
    const row = this.statements.get(`SELECT ${MEMORY_COLUMNS} FROM memories AS m WHERE m.id = ?`).get(id) as
      | MemoryRow
      | undefined;
    if (!row || (userId !== undefined && row.user_id !== userId)) return null;
    return toMemory(row);
  }

  search(query: string, filters: CheckedFilters, limit: number, threshold: number): ScoredMemory[] {
    const fts = buildFtsQuery(query);
    if (!fts) return [];
    const where = filtersToSql(filters);
    // CROSS JOIN keeps the full-text index as the outer loop: never scan a user's rows to probe it.
    const rows = this.statements
      .get(
        `SELECT ${MEMORY_COLUMNS}, bm25(memories_fts) AS bm25
         FROM memories_fts CROSS JOIN memories AS m ON m.pk = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql}
         ORDER BY bm25 LIMIT ?`,
      )
      .all(fts.match, ...where.params, candidatePool(limit)) as SearchRow[];
    const scores = lexicalScores(
      fts.stems,
      rows.map((r) => ({ text: r.memory, bm25: r.bm25 })),
    );
    return rows
      .map((row, i) => ({ row, score: scores[i] ?? 0, rank: i }))
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score || a.rank - b.rank)
      .slice(0, limit)
      .map(({ row, score }) => ({ ...toMemory(row), score }));
  }

  list(filters: CheckedFilters, limit: number, cursor: string | undefined): MemoryPage {
    const where = filtersToSql(filters);
    let sql = `SELECT ${MEMORY_COLUMNS} FROM memories AS m WHERE ${where.sql}`;
    const params = [...where.params];
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      sql += " AND (m.created_at, m.pk) < (?, ?)";
      params.push(after.created_at, after.pk);
    }
    sql += " ORDER BY m.created_at DESC, m.pk DESC LIMIT ?";
    const rows = this.statements.get(sql).all(...params, limit + 1) as MemoryRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      memories: page.map(toMemory),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  history(id: string): HistoryEvent[] {
    const rows = this.statements
      .get(
        `SELECT id, memory_id, user_id, event, old_memory, new_memory, created_at
         FROM memory_history WHERE memory_id = ? ORDER BY seq`,
      )
      .all(id) as HistoryRow[];
    return rows.map(toHistoryEvent);
  }

  stats(userId?: string): StoreStats {
    const scoped = userId !== undefined;
    const where = scoped ? "WHERE user_id = ?" : "";
    const args = scoped ? [userId] : [];
    const totals = this.statements
      .get(
        `SELECT count(*) AS memories, count(DISTINCT user_id) AS users,
                min(created_at) AS oldest, max(created_at) AS newest FROM memories ${where}`,
      )
      .get(...args) as { memories: number; users: number; oldest: string | null; newest: string | null };
    const history = this.statements.get(`SELECT count(*) AS n FROM memory_history ${where}`).get(...args) as {
      n: number;
    };
    const byUser = this.statements
      .get(
        `SELECT user_id, count(*) AS memories FROM memories ${where}
         GROUP BY user_id ORDER BY memories DESC, user_id LIMIT 20`,
      )
      .all(...args) as { user_id: string; memories: number }[];
    return {
      backend: "sqlite",
      memories: totals.memories,
      users: totals.users,
      history_events: history.n,
      oldest: totals.oldest,
      newest: totals.newest,
      by_user: byUser,
      size_bytes: this.sizeOnDisk(),
    };
  }

  private sizeOnDisk(): number {
    if (this.db.memory) return 0;
    let total = 0;
    for (const file of [this.dbPath, `${this.dbPath}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // no WAL file right now
      }
    }
    return total;
  }
}

import { statSync } from "node:fs";
import type Database from "better-sqlite3";
import type { HistoryEvent, Memory, MemoryPage, StoreStats } from "../../core/types.js";
import type { CheckedFilters } from "../validate-input.js";
import { filtersToSql } from "./filters-sql.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import {
  type HistoryRow,
  MEMORY_BY_ID,
  MEMORY_COLUMNS,
  type MemoryRow,
  toHistoryEvent,
  toMemory,
} from "./row-mapping.js";
import type { StatementCache } from "./statement-cache.js";

export class MemoryReads {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly dbPath: string,
  ) {}

  get(id: string, userId?: string): Memory | null {
    const row = this.statements.get(MEMORY_BY_ID).get(id) as MemoryRow | undefined;
    if (!row || (userId !== undefined && row.user_id !== userId)) return null;
    return toMemory(row);
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

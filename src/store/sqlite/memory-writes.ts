import type Database from "better-sqlite3";
import { MemoryError, NotFoundError } from "../../core/errors.js";
import type { AddResult, HistoryEventType, Memory } from "../../core/types.js";
import { uuidV7 } from "../uuid-v7.js";
import { type CheckedAdd, type CheckedFilters, type CheckedPatch, onlyUser } from "../validate-input.js";
import { filtersToSql } from "./filters-sql.js";
import { MEMORY_BY_ID, MEMORY_COLUMNS, type MemoryRow, toMemory } from "./row-mapping.js";
import type { StatementCache } from "./statement-cache.js";

const INSERT_MEMORY = `INSERT INTO memories
  (id, user_id, agent_id, app_id, run_id, memory, hash, metadata, categories, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (user_id, hash) DO NOTHING`;
const INSERT_HISTORY = `INSERT INTO memory_history
  (id, memory_id, user_id, event, old_memory, new_memory, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;
/** A deleted memory's history keeps its events, not its texts: a deletion erases the words everywhere. */
const ERASE_HISTORY_TEXT =
  "UPDATE memory_history SET old_memory = NULL, new_memory = NULL WHERE memory_id = ?";
const BY_HASH = `SELECT ${MEMORY_COLUMNS} FROM memories AS m WHERE m.user_id = ? AND m.hash = ?`;

/** The Memory about to be written: ids and times assigned, nothing parsed back from JSON. */
export function newMemory(v: CheckedAdd, now: string, newId: () => string = uuidV7): Memory {
  const created_at = v.created_at ?? now;
  return {
    id: v.id ?? newId(),
    memory: v.memory,
    user_id: v.user_id,
    agent_id: v.agent_id,
    app_id: v.app_id,
    run_id: v.run_id,
    metadata: v.metadata,
    categories: v.categories,
    hash: v.hash,
    created_at,
    updated_at: v.updated_at ?? created_at,
  };
}

export const nowIso = (): string => new Date().toISOString();

/** Every write, each in one `BEGIN IMMEDIATE` transaction so concurrent writers queue on busy_timeout. */
export class MemoryWrites {
  private readonly addBatchTx: (batch: CheckedAdd[], now: string) => AddResult[];
  private readonly updateTx: (id: string, patch: CheckedPatch) => Memory;
  private readonly deleteTx: (id: string) => void;
  private readonly deleteScopeTx: (scope: CheckedFilters) => number;

  constructor(
    db: Database.Database,
    private readonly statements: StatementCache,
  ) {
    const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => {
      const tx = db.transaction(fn);
      return (...args: A): R => tx.immediate(...args);
    };
    this.addBatchTx = immediate((batch: CheckedAdd[], now: string) =>
      batch.map((item) => this.insertOne(item, now)),
    );
    this.updateTx = immediate((id: string, patch: CheckedPatch) => this.updateOne(id, patch));
    this.deleteTx = immediate((id: string) => this.deleteOne(id));
    this.deleteScopeTx = immediate((scope: CheckedFilters) => this.deleteInScope(scope));
  }

  addBatch(batch: CheckedAdd[], now: string): AddResult[] {
    return this.addBatchTx(batch, now);
  }

  update(id: string, patch: CheckedPatch): Memory {
    return this.updateTx(id, patch);
  }

  delete(id: string): void {
    this.deleteTx(id);
  }

  deleteAll(scope: CheckedFilters): number {
    return this.deleteScopeTx(scope);
  }

  private byId(id: string): MemoryRow | undefined {
    return this.statements.get(MEMORY_BY_ID).get(id) as MemoryRow | undefined;
  }

  private record(
    memory: Pick<Memory, "id" | "user_id">,
    event: HistoryEventType,
    old: string | null,
    next: string | null,
    at: string,
  ): void {
    this.statements.get(INSERT_HISTORY).run(uuidV7(), memory.id, memory.user_id, event, old, next, at);
  }

  private insertOne(checked: CheckedAdd, now: string): AddResult {
    if (checked.id !== null) {
      const existing = this.byId(checked.id);
      if (existing && existing.user_id === checked.user_id)
        return { status: "duplicate", memory: toMemory(existing) };
      if (existing)
        throw new MemoryError("CONFLICT", `memory id ${checked.id} already belongs to another user`);
    }
    const v = newMemory(checked, now);
    const info = this.statements
      .get(INSERT_MEMORY)
      .run(
        v.id,
        v.user_id,
        v.agent_id,
        v.app_id,
        v.run_id,
        v.memory,
        v.hash,
        checked.metadataJson,
        JSON.stringify(v.categories),
        v.created_at,
        v.updated_at,
      );
    if (info.changes === 0) {
      const same = this.statements.get(BY_HASH).get(v.user_id, v.hash) as MemoryRow;
      return { status: "duplicate", memory: toMemory(same) };
    }
    this.record(v, "ADD", null, v.memory, v.created_at);
    return { status: "created", memory: v };
  }

  private updateOne(id: string, patch: CheckedPatch): Memory {
    const row = this.byId(id);
    if (!row) throw new NotFoundError("memory", id);
    const memory = patch.memory?.text ?? row.memory;
    const hash = patch.memory?.hash ?? row.hash;
    if (hash !== row.hash) {
      const twin = this.statements.get(BY_HASH).get(row.user_id, hash) as MemoryRow | undefined;
      if (twin) throw new MemoryError("CONFLICT", `memory ${twin.id} of this user already has this text`);
    }
    const next: MemoryRow = {
      ...row,
      memory,
      hash,
      metadata: patch.metadata?.json ?? row.metadata,
      categories: patch.categories === undefined ? row.categories : JSON.stringify(patch.categories),
      updated_at: nowIso(),
    };
    this.statements
      .get(
        "UPDATE memories SET memory = ?, hash = ?, metadata = ?, categories = ?, updated_at = ? WHERE pk = ?",
      )
      .run(next.memory, next.hash, next.metadata, next.categories, next.updated_at, row.pk);
    this.record(row, "UPDATE", row.memory, memory, next.updated_at);
    return toMemory(next);
  }

  private deleteOne(id: string): void {
    const row = this.byId(id);
    if (!row) throw new NotFoundError("memory", id);
    this.statements.get("DELETE FROM memories WHERE pk = ?").run(row.pk);
    this.statements.get(ERASE_HISTORY_TEXT).run(row.id);
    this.record(row, "DELETE", null, null, nowIso());
  }

  /**
   * Only a user named: the user is forgotten, history included. Narrower
   * scopes keep an audit trail of events (what happened, when), but not the
   * deleted texts.
   */
  private deleteInScope(scope: CheckedFilters): number {
    if (onlyUser(scope)) {
      const deleted = this.statements
        .get("DELETE FROM memories WHERE user_id = ?")
        .run(scope.user_id).changes;
      this.statements.get("DELETE FROM memory_history WHERE user_id = ?").run(scope.user_id);
      return deleted;
    }
    const where = filtersToSql(scope);
    this.statements
      .get(
        `UPDATE memory_history SET old_memory = NULL, new_memory = NULL
         WHERE memory_id IN (SELECT m.id FROM memories AS m WHERE ${where.sql})`,
      )
      .run(...where.params);
    this.statements
      .get(
        `INSERT INTO memory_history (id, memory_id, user_id, event, old_memory, new_memory, created_at)
         SELECT mem_uuid(), m.id, m.user_id, 'DELETE', NULL, NULL, ? FROM memories AS m WHERE ${where.sql}`,
      )
      .run(nowIso(), ...where.params);
    return this.statements.get(`DELETE FROM memories AS m WHERE ${where.sql}`).run(...where.params).changes;
  }
}

import type { PoolClient } from "pg";
import { MemoryError, NotFoundError } from "../../core/errors.js";
import { wordTokens } from "../../core/search/text-tokens.js";
import type { AddResult, HistoryEventType, Memory } from "../../core/types.js";
import { newMemory } from "../sqlite/memory-writes.js";
import { uuidV7 } from "../uuid-v7.js";
import { type CheckedAdd, type CheckedFilters, type CheckedPatch, onlyUser } from "../validate-input.js";
import { filtersToPg, Params } from "./pg-filters.js";
import { PG_MEMORY_COLUMNS, type PgMemoryRow, pgToMemory } from "./pg-rows.js";

/**
 * Many rows in one statement: arrays unnested in (user_id, hash) order, so
 * concurrent writers take the unique index's locks in the same order and
 * never deadlock. ON CONFLICT DO NOTHING: the unique constraint, not a
 * check-then-insert, decides which of two racing writers stores a text.
 */
const INSERT_BATCH = `INSERT INTO memories
  (id, user_id, agent_id, app_id, run_id, memory, hash, metadata, categories, created_at, updated_at, tokens)
  SELECT id, user_id, agent_id, app_id, run_id, memory, hash, metadata::jsonb, categories::jsonb,
         created_at, updated_at, tokens
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::text[], $10::text[], $11::text[], $12::int[])
    AS v(id, user_id, agent_id, app_id, run_id, memory, hash, metadata, categories, created_at, updated_at, tokens)
  ORDER BY user_id, hash
  ON CONFLICT DO NOTHING
  RETURNING id`;

const INSERT_HISTORY_BATCH = `INSERT INTO memory_history
  (id, memory_id, user_id, event, old_memory, new_memory, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`;

const ERASE_HISTORY_TEXT =
  "UPDATE memory_history SET old_memory = NULL, new_memory = NULL WHERE memory_id = $1";

export const nowIso = (): string => new Date().toISOString();

async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function record(
  client: PoolClient,
  memory: Pick<Memory, "id" | "user_id">,
  event: HistoryEventType,
  old: string | null,
  next: string | null,
  at: string,
): Promise<void> {
  await client.query(
    `INSERT INTO memory_history (id, memory_id, user_id, event, old_memory, new_memory, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [uuidV7(), memory.id, memory.user_id, event, old, next, at],
  );
}

async function byId(client: PoolClient, id: string, lock = false): Promise<PgMemoryRow | undefined> {
  const { rows } = await client.query<PgMemoryRow>(
    `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m WHERE m.id = $1${lock ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

/** One batch in one transaction: every item is created, or found as the duplicate it is. */
export async function addBatchPg(client: PoolClient, batch: CheckedAdd[], now: string): Promise<AddResult[]> {
  return inTransaction(client, async () => {
    const givenIds = batch.flatMap((c) => (c.id === null ? [] : [c.id]));
    const existing = new Map<string, PgMemoryRow>();
    if (givenIds.length > 0) {
      const { rows } = await client.query<PgMemoryRow>(
        `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m WHERE m.id = ANY($1::text[])`,
        [givenIds],
      );
      for (const row of rows) existing.set(row.id, row);
    }
    const results: (AddResult | null)[] = batch.map((checked) => {
      const found = checked.id === null ? undefined : existing.get(checked.id);
      if (!found) return null;
      if (found.user_id !== checked.user_id) {
        throw new MemoryError("CONFLICT", `memory id ${checked.id} already belongs to another user`);
      }
      return { status: "duplicate", memory: pgToMemory(found) };
    });
    const fresh = batch.flatMap((checked, i) =>
      results[i] === null ? [{ i, checked, v: newMemory(checked, now) }] : [],
    );
    if (fresh.length === 0) return results as AddResult[];
    const col = <T>(f: (x: (typeof fresh)[number]) => T) => fresh.map(f);
    const inserted = await client.query<{ id: string }>(INSERT_BATCH, [
      col((x) => x.v.id),
      col((x) => x.v.user_id),
      col((x) => x.v.agent_id),
      col((x) => x.v.app_id),
      col((x) => x.v.run_id),
      col((x) => x.v.memory),
      col((x) => x.v.hash),
      col((x) => x.checked.metadataJson),
      col((x) => JSON.stringify(x.v.categories)),
      col((x) => x.v.created_at),
      col((x) => x.v.updated_at),
      col((x) => wordTokens(x.v.memory).length),
    ]);
    const created = new Set(inserted.rows.map((r) => r.id));
    const added = fresh.filter((x) => created.has(x.v.id));
    if (added.length > 0) {
      await client.query(INSERT_HISTORY_BATCH, [
        added.map(() => uuidV7()),
        added.map((x) => x.v.id),
        added.map((x) => x.v.user_id),
        added.map(() => "ADD"),
        added.map(() => null),
        added.map((x) => x.v.memory),
        added.map((x) => x.v.created_at),
      ]);
    }
    const missing = fresh.filter((x) => !created.has(x.v.id));
    const twins = new Map<string, PgMemoryRow>();
    if (missing.length > 0) {
      // Another writer (or an earlier item of this batch) stored the same text, or took the id.
      const { rows } = await client.query<PgMemoryRow>(
        `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m
         JOIN unnest($1::text[], $2::text[]) AS k(user_id, hash) ON m.user_id = k.user_id AND m.hash = k.hash`,
        [missing.map((x) => x.v.user_id), missing.map((x) => x.v.hash)],
      );
      for (const row of rows) twins.set(`${row.user_id}\u0000${row.hash}`, row);
    }
    for (const x of fresh) {
      if (created.has(x.v.id)) {
        results[x.i] = { status: "created", memory: x.v };
        continue;
      }
      const twin = twins.get(`${x.v.user_id}\u0000${x.v.hash}`);
      if (twin) {
        results[x.i] = { status: "duplicate", memory: pgToMemory(twin) };
        continue;
      }
      const taken = await byId(client, x.v.id);
      if (taken && taken.user_id === x.v.user_id)
        results[x.i] = { status: "duplicate", memory: pgToMemory(taken) };
      else throw new MemoryError("CONFLICT", `memory id ${x.v.id} already belongs to another user`);
    }
    return results as AddResult[];
  });
}

export async function updatePg(client: PoolClient, id: string, patch: CheckedPatch): Promise<Memory> {
  return inTransaction(client, async () => {
    const row = await byId(client, id, true);
    if (!row) throw new NotFoundError("memory", id);
    const memory = patch.memory?.text ?? row.memory;
    const hash = patch.memory?.hash ?? row.hash;
    if (hash !== row.hash) {
      const { rows } = await client.query<{ id: string }>(
        "SELECT id FROM memories WHERE user_id = $1 AND hash = $2",
        [row.user_id, hash],
      );
      if (rows[0])
        throw new MemoryError("CONFLICT", `memory ${rows[0].id} of this user already has this text`);
    }
    const updatedAt = nowIso();
    const { rows } = await client.query<PgMemoryRow>(
      `UPDATE memories AS m SET memory = $1, hash = $2, metadata = coalesce($3::jsonb, m.metadata),
         categories = coalesce($4::jsonb, m.categories), updated_at = $5, tokens = $6
       WHERE m.pk = $7 RETURNING ${PG_MEMORY_COLUMNS}`,
      [
        memory,
        hash,
        patch.metadata?.json ?? null,
        patch.categories === undefined ? null : JSON.stringify(patch.categories),
        updatedAt,
        wordTokens(memory).length,
        row.pk,
      ],
    );
    await record(client, row, "UPDATE", row.memory, memory, updatedAt);
    return pgToMemory(rows[0] as PgMemoryRow);
  });
}

export async function deletePg(client: PoolClient, id: string): Promise<void> {
  await inTransaction(client, async () => {
    const { rows } = await client.query<{ id: string; user_id: string }>(
      "DELETE FROM memories WHERE id = $1 RETURNING id, user_id",
      [id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError("memory", id);
    await client.query(ERASE_HISTORY_TEXT, [row.id]);
    await record(client, row, "DELETE", null, null, nowIso());
  });
}

/**
 * Only a user named: the user is forgotten, history included. Narrower
 * scopes keep the events (what happened, when), not the deleted texts.
 */
export async function deleteAllPg(client: PoolClient, scope: CheckedFilters): Promise<number> {
  return inTransaction(client, async () => {
    if (onlyUser(scope)) {
      const deleted = await client.query("DELETE FROM memories WHERE user_id = $1", [scope.user_id]);
      await client.query("DELETE FROM memory_history WHERE user_id = $1", [scope.user_id]);
      return deleted.rowCount ?? 0;
    }
    const p = new Params();
    const where = filtersToPg(scope, p);
    const { rows } = await client.query<{ id: string; user_id: string }>(
      `DELETE FROM memories AS m WHERE ${where} RETURNING m.id, m.user_id`,
      p.values,
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    await client.query(
      "UPDATE memory_history SET old_memory = NULL, new_memory = NULL WHERE memory_id = ANY($1::text[])",
      [ids],
    );
    const at = nowIso();
    await client.query(INSERT_HISTORY_BATCH, [
      rows.map(() => uuidV7()),
      ids,
      rows.map((r) => r.user_id),
      rows.map(() => "DELETE"),
      rows.map(() => null),
      rows.map(() => null),
      rows.map(() => at),
    ]);
    return rows.length;
  });
}

import type {
  AddInput,
  AddResult,
  HistoryEvent,
  ListOptions,
  Memory,
  MemoryPage,
  Scope,
  ScoredMemory,
  SearchOptions,
  StoreStats,
  UpdatePatch,
} from "../core/types.js";
import type { AuditActor, AuditLog, AuditOp, AuditRecord } from "./audit-log.js";
import type { MemoryStore, StoreHealth } from "./memory-store.js";
import { hasVectorIndex } from "./vector-indexing.js";

type ScopeFields = Pick<AuditRecord, "user" | "agent" | "project" | "session" | "id">;

function scopeOf(
  s:
    | { user_id?: string; agent_id?: string | null; app_id?: string | null; run_id?: string | null }
    | undefined
    | null,
): ScopeFields {
  if (!s) return {};
  return {
    user: s.user_id,
    agent: s.agent_id ?? undefined,
    project: s.app_id ?? undefined,
    session: s.run_id ?? undefined,
  };
}

/** An operation made of many store calls (export, import): counted, then written as one line. */
interface Tally {
  read: number;
  written: number;
}

/**
 * The one place memory operations are audited: a MemoryStore that records
 * each call in the AuditLog with the entry point it was opened for, then
 * passes it on. `as()` gives the same store for another entry point (the
 * web page, MCP, a hook, or a token's user in team mode); `operation()`
 * turns the many calls of an export or an import into one line.
 *
 * A user-only `deleteAll` is forgetting the user: their audit lines go too,
 * except the one recording the forgetting.
 */
export class AuditedMemoryStore implements MemoryStore {
  readonly backend: string;
  vectorIndexStatus?: unknown;
  backfillVectors?: unknown;
  startVectorIndexing?: unknown;
  private closed: Promise<void> | null = null;

  constructor(
    readonly inner: MemoryStore,
    readonly log: AuditLog,
    readonly by: AuditActor,
    private readonly tally: Tally | null = null,
    private readonly root: AuditedMemoryStore | null = null,
  ) {
    this.backend = inner.backend;
    if (hasVectorIndex(inner)) {
      this.vectorIndexStatus = inner.vectorIndexStatus.bind(inner);
      this.backfillVectors = inner.backfillVectors.bind(inner);
      this.startVectorIndexing = inner.startVectorIndexing.bind(inner);
    }
  }

  /** The same store, its operations recorded as coming from `by`. */
  as(by: AuditActor): AuditedMemoryStore {
    return new AuditedMemoryStore(this.inner, this.log, by, null, this.root ?? this);
  }

  /**
   * Runs an export or an import through a view of this store whose calls are
   * not recorded one by one; one line records the whole (memories read for an
   * export, memories created for an import), or the failure.
   */
  async operation<T>(
    op: "export" | "import",
    scope: Partial<Scope>,
    fn: (store: MemoryStore) => Promise<T>,
  ): Promise<T> {
    const tally: Tally = { read: 0, written: 0 };
    const view = new AuditedMemoryStore(this.inner, this.log, this.by, tally, this.root ?? this);
    const count = () => (op === "export" ? tally.read : tally.written);
    try {
      const result = await fn(view);
      this.record(op, scopeOf(scope), count(), null);
      return result;
    } catch (e) {
      this.record(op, scopeOf(scope), count(), e);
      throw e;
    }
  }

  async add(input: AddInput): Promise<AddResult> {
    return this.audited(
      "add",
      scopeOf(input),
      () => this.inner.add(input),
      (r) => [r.status === "duplicate" ? 0 : 1, true],
    );
  }

  async addMany(
    inputs: AddInput[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    return this.audited(
      "add",
      sameScope(inputs),
      () => this.inner.addMany(inputs, onProgress),
      (r) => [r.filter((x) => x.status !== "duplicate").length, true],
    );
  }

  async search(query: string, options: SearchOptions): Promise<ScoredMemory[]> {
    return this.audited(
      "search",
      scopeOf(options?.filters),
      () => this.inner.search(query, options),
      (r) => [r.length, false],
    );
  }

  async list(options: ListOptions): Promise<MemoryPage> {
    return this.audited(
      "list",
      scopeOf(options?.filters),
      () => this.inner.list(options),
      (r) => [r.memories.length, false],
    );
  }

  async get(id: string, userId?: string): Promise<Memory | null> {
    return this.audited(
      "get",
      { id, user: userId },
      () => this.inner.get(id, userId),
      (r) => [r ? 1 : 0, false, r],
    );
  }

  async update(id: string, patch: UpdatePatch): Promise<Memory> {
    return this.audited(
      "update",
      { id },
      () => this.inner.update(id, patch),
      (r) => [1, true, r],
    );
  }

  async delete(id: string): Promise<void> {
    // Whose memory it was is known only before it goes (so forgetting that user removes this line too).
    let owner: Memory | null = null;
    if (!this.tally) owner = await this.inner.get(id).catch(() => null);
    return this.audited(
      "delete",
      { id },
      () => this.inner.delete(id),
      () => [1, true, owner],
    );
  }

  async deleteAll(scope: Scope): Promise<number> {
    const forget =
      scope?.agent_id === undefined && scope?.app_id === undefined && scope?.run_id === undefined;
    if (forget && !this.tally && typeof scope?.user_id === "string") {
      let n: number;
      try {
        n = await this.inner.deleteAll(scope);
      } catch (e) {
        this.record("forget", scopeOf(scope), 0, e);
        throw e;
      }
      this.log.forget(scope.user_id, this.by, n);
      return n;
    }
    return this.audited(
      "delete_all",
      scopeOf(scope),
      () => this.inner.deleteAll(scope),
      (n) => [n, true],
    );
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return this.audited(
      "history",
      { id },
      () => this.inner.history(id),
      (r) => [r.length, false, null],
    );
  }

  stats(userId?: string): Promise<StoreStats> {
    return this.inner.stats(userId);
  }

  health(): Promise<StoreHealth> {
    return this.inner.health();
  }

  /** Closes the store and the log once, whichever view asks. */
  close(): Promise<void> {
    if (this.root) return this.root.close();
    this.closed ??= this.inner.close().finally(() => this.log.close());
    return this.closed;
  }

  private async audited<T>(
    op: AuditOp,
    scope: ScopeFields,
    run: () => Promise<T>,
    measure: (result: T) => [count: number, write: boolean, owner?: Memory | null],
  ): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (e) {
      this.record(op, scope, 0, e);
      throw e;
    }
    const [count, write, owner] = measure(result);
    if (this.tally) {
      if (write) this.tally.written += count;
      else this.tally.read += count;
    } else this.record(op, owner ? { ...scopeOf(owner), id: scope.id } : scope, count, null);
    return result;
  }

  private record(op: AuditOp, scope: ScopeFields, count: number, error: unknown): void {
    this.log.write({
      entry: this.by.entry,
      ...(this.by.actor ? { actor: this.by.actor } : {}),
      op,
      ...definedOnly(scope),
      count,
      ok: error === null,
      ...(error === null ? {} : { error: errorName(error) }),
    });
  }
}

function definedOnly(scope: ScopeFields): ScopeFields {
  const out: ScopeFields = {};
  for (const [k, v] of Object.entries(scope)) if (v !== undefined) out[k as keyof ScopeFields] = v;
  return out;
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

/** The scope every input shares (fields that differ are left out). */
function sameScope(inputs: AddInput[]): ScopeFields {
  if (!Array.isArray(inputs) || inputs.length === 0) return {};
  const first = scopeOf(inputs[0]);
  const out: ScopeFields = {};
  for (const k of Object.keys(first) as (keyof ScopeFields)[]) {
    if (inputs.every((i) => scopeOf(i)[k] === first[k])) out[k] = first[k];
  }
  return out;
}

/** `store` with its operations recorded as coming from `by` (unchanged when it is not audited). */
export function auditedAs(store: MemoryStore, by: AuditActor): MemoryStore {
  return store instanceof AuditedMemoryStore ? store.as(by) : store;
}

/** An export or an import as one audit line (see AuditedMemoryStore.operation). */
export function auditedOperation<T>(
  store: MemoryStore,
  op: "export" | "import",
  scope: Partial<Scope>,
  fn: (store: MemoryStore) => Promise<T>,
): Promise<T> {
  return store instanceof AuditedMemoryStore ? store.operation(op, scope, fn) : fn(store);
}

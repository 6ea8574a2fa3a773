import { ConfigError, InvalidInputError, MemoryError, NotFoundError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type {
  AddInput,
  AddResult,
  HistoryEvent,
  ListOptions,
  Memory,
  MemoryFilters,
  MemoryPage,
  Scope,
  ScoredMemory,
  SearchOptions,
  StoreStats,
  UpdatePatch,
} from "../../core/types.js";
import type { MemoryStore } from "../memory-store.js";
import {
  endpointsFor,
  MAX_PAGE_SIZE,
  MAX_TOP_K,
  type Mem0ApiVersion,
  type Mem0Endpoints,
} from "./api-version.js";
import { toMem0Filters } from "./filters.js";
import { Mem0HttpClient } from "./http-client.js";
import { Mem0Adder } from "./mem0-add.js";
import { Mem0Lister } from "./mem0-list.js";
import { memoryHash } from "./memory-hash.js";
import { META, splitMetadata } from "./metadata-keys.js";
import { clampScore, resultsOf, toHistory, toMemory, toScoredMemory } from "./normalise.js";
import type { RetryPolicy } from "./retry-policy.js";
import { computeStats } from "./stats.js";
import { checkCategories, checkId, checkLimit, checkPatch, checkThreshold } from "./validate.js";

/** `Config.mem0` (src/core/config.ts). */
export interface Mem0Settings {
  apiKey?: string | undefined;
  orgId?: string | undefined;
  projectId?: string | undefined;
  baseUrl: string;
  apiVersion?: Mem0ApiVersion | undefined;
  infer?: boolean | undefined;
  timeoutMs?: number | undefined;
}

/** Knobs for tests and embedding; defaults suit interactive use. */
export interface Mem0StoreOptions {
  /** Wait for asynchronous adds to finish (default true); when false, adds answer `pending`. */
  waitForAdd?: boolean | undefined;
  /** Longest wait for one add's event (default 15 s); after it the add answers `pending`. */
  addWaitMs?: number | undefined;
  /** First wait between event polls (default 200 ms; doubles up to 2 s). */
  addPollMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  now?: (() => number) | undefined;
  fetch?: typeof fetch | undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Mem0 Platform behind `MemoryStore`: same shapes and errors as the SQLite store. */
export class Mem0MemoryStore implements MemoryStore {
  readonly backend = "mem0";
  readonly apiVersion: Mem0ApiVersion;
  private readonly http: Mem0HttpClient;
  private readonly adder: Mem0Adder;
  private readonly lister: Mem0Lister;
  private readonly endpoints: Mem0Endpoints;
  private closed = false;

  constructor(settings: Mem0Settings, logger: Logger, options: Mem0StoreOptions = {}) {
    if (!settings.apiKey) throw new ConfigError("MEM0_API_KEY is not set");
    this.apiVersion = settings.apiVersion ?? "v3";
    this.endpoints = endpointsFor(this.apiVersion);
    const sleep = options.sleep ?? realSleep;
    const now = options.now ?? Date.now;
    this.http = new Mem0HttpClient({
      baseUrl: settings.baseUrl.replace(/\/+$/, ""),
      apiKey: settings.apiKey,
      orgId: settings.orgId,
      projectId: settings.projectId,
      timeoutMs: settings.timeoutMs ?? 30_000,
      logger,
      retry: options.retry,
      sleep,
      random: options.random,
      now,
      fetch: options.fetch,
    });
    this.lister = new Mem0Lister(this.http, this.endpoints.listPath, logger);
    this.adder = new Mem0Adder(
      this.http,
      {
        endpoints: this.endpoints,
        infer: settings.infer ?? false,
        waitForAdd: options.waitForAdd ?? true,
        poll: {
          budgetMs: options.addWaitMs ?? 15_000,
          firstIntervalMs: options.addPollMs ?? 200,
          maxIntervalMs: 2_000,
          sleep,
          now,
        },
      },
      logger,
    );
  }

  /**
   * `GET /v1/ping/`: checks the key and reports the organisation and project
   * it belongs to. `retries` overrides the retry policy (0: answer at once).
   */
  async ping(
    options: { retries?: number } = {},
  ): Promise<{ orgId: string | null; projectId: string | null }> {
    this.open();
    const body = (await this.http.request({
      method: "GET",
      path: "/v1/ping/",
      idempotent: true,
      maxRetries: options.retries,
    })) as Record<string, unknown> | null;
    if (body?.status !== "ok") {
      throw new MemoryError("AUTH_REJECTED", "MEM0_API_KEY was rejected (ping did not answer ok)");
    }
    const id = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : null);
    return { orgId: id(body.org_id), projectId: id(body.project_id) };
  }

  async add(input: AddInput): Promise<AddResult> {
    this.open();
    return this.adder.add(input);
  }

  /** One add after another, in order (the outbox relies on the order). */
  async addMany(
    inputs: AddInput[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    this.open();
    if (!Array.isArray(inputs)) throw new InvalidInputError("addMany needs an array of memories");
    const results: AddResult[] = [];
    for (const input of inputs) {
      results.push(await this.adder.add(input));
      onProgress?.(results.length, inputs.length);
    }
    return results;
  }

  async search(query: string, options: SearchOptions): Promise<ScoredMemory[]> {
    this.open();
    if (typeof query !== "string") throw new InvalidInputError("query must be a string");
    const filters = toMem0Filters(requireFilters(options?.filters));
    const limit = checkLimit(options.limit, 10, MAX_TOP_K);
    const threshold = checkThreshold(options.threshold);
    // Mem0 refuses an empty query, and NUL cannot be stored in its database.
    const text = query.replace(/\u0000/g, " ").trim();
    if (text === "") return [];
    const body: Record<string, unknown> = { query: text, filters, top_k: limit };
    if (threshold !== undefined) body.threshold = threshold;
    const answer = await this.http.request({
      method: "POST",
      path: this.endpoints.searchPath,
      body,
      idempotent: true,
    });
    const userId = options.filters.user_id;
    return resultsOf(answer)
      .map((r, rank) => ({ m: toScoredMemory(r, userId), rank }))
      .filter(
        ({ m }) => m.user_id === userId && (threshold === undefined || m.score >= clampScore(threshold)),
      )
      .sort((a, b) => b.m.score - a.m.score || a.rank - b.rank)
      .slice(0, limit)
      .map(({ m }) => m);
  }

  /** Newest first; the cursor survives memories added between pages. */
  async list(options: ListOptions): Promise<MemoryPage> {
    this.open();
    const filters = requireFilters(options?.filters);
    const limit = checkLimit(options.limit, 50, 1000);
    if (options.cursor !== undefined && typeof options.cursor !== "string") {
      throw new InvalidInputError("cursor must be a string");
    }
    return this.lister.list(filters, limit, options.cursor);
  }

  async get(id: string, userId?: string): Promise<Memory | null> {
    this.open();
    const raw = await this.getRaw(checkId(id));
    if (raw === null) return null;
    const memory = toMemory(raw);
    return userId !== undefined && memory.user_id !== userId ? null : memory;
  }

  async update(id: string, patch: UpdatePatch): Promise<Memory> {
    this.open();
    checkId(id);
    checkPatch(patch);
    const raw = await this.getRaw(id);
    if (raw === null) throw new NotFoundError("memory", id);
    const current = splitMetadata((raw as Record<string, unknown>).metadata);
    const metadata = { ...(patch.metadata ?? current.user), ...current.reserved };
    if (patch.memory !== undefined) metadata[META.hash] = memoryHash(patch.memory);
    if (patch.categories !== undefined) {
      const categories = checkCategories(patch.categories);
      if (categories.length > 0) metadata[META.categories] = categories;
      else delete metadata[META.categories];
    }
    const body: Record<string, unknown> = { metadata };
    if (patch.memory !== undefined) body.text = patch.memory;
    const answer = await this.http.send({
      method: "PUT",
      path: memoryPath(id),
      body,
      idempotent: true,
      allow404: true,
    });
    if (answer.status === 404) throw new NotFoundError("memory", id);
    const updated = await this.getRaw(id);
    if (updated === null) throw new NotFoundError("memory", id);
    return toMemory(updated);
  }

  async delete(id: string): Promise<void> {
    this.open();
    const answer = await this.http.send({
      method: "DELETE",
      path: memoryPath(checkId(id)),
      idempotent: true,
      allow404: true,
    });
    if (answer.status === 404) throw new NotFoundError("memory", id);
  }

  /**
   * Only a user named: `DELETE /v1/memories/?user_id=` then
   * `DELETE /v2/entities/user/{id}/` (the user is forgotten). Narrower scopes
   * delete the matching memories one by one so each leaves a DELETE in its
   * history. Returns how many were deleted.
   */
  async deleteAll(scope: Scope): Promise<number> {
    this.open();
    if (typeof scope !== "object" || scope === null) throw new InvalidInputError("deleteAll needs a scope");
    const { user_id, agent_id, app_id, run_id } = scope;
    const filters: MemoryFilters = { user_id, agent_id, app_id, run_id };
    toMem0Filters(filters); // validates
    const ids = (await this.lister.all(filters)).map((m) => m.id);
    if (agent_id === undefined && app_id === undefined && run_id === undefined) {
      await this.http.request({
        method: "DELETE",
        path: "/v1/memories/",
        query: { user_id },
        idempotent: true,
      });
      // Forgetting a user also removes the user entity, and with it what Mem0 keeps about them.
      await this.http.send({
        method: "DELETE",
        path: `/v2/entities/user/${encodeURIComponent(user_id)}/`,
        idempotent: true,
        allow404: true,
      });
      return ids.length;
    }
    let deleted = 0;
    for (const id of ids) {
      const answer = await this.http.send({
        method: "DELETE",
        path: memoryPath(id),
        idempotent: true,
        allow404: true,
      });
      if (answer.status !== 404) deleted++;
    }
    return deleted;
  }

  /** Oldest first; an unknown id has no history. */
  async history(id: string): Promise<HistoryEvent[]> {
    this.open();
    const answer = await this.http.send({
      method: "GET",
      path: `${memoryPath(checkId(id))}history/`,
      idempotent: true,
      allow404: true,
    });
    return answer.status === 404 ? [] : toHistory(answer.body, id);
  }

  async stats(userId?: string): Promise<StoreStats> {
    this.open();
    if (userId !== undefined) checkId(userId, "user_id");
    return computeStats(
      (page) => this.lister.rawPage({ AND: [{ user_id: userId ?? "*" }] }, page, MAX_PAGE_SIZE),
      (id) => this.history(id),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new MemoryError("STORE_UNAVAILABLE", "The memory store is closed.");
  }

  private async getRaw(id: string): Promise<unknown | null> {
    const answer = await this.http.send({
      method: "GET",
      path: memoryPath(id),
      idempotent: true,
      allow404: true,
    });
    return answer.status === 404 ? null : answer.body;
  }
}

function memoryPath(id: string): string {
  return `/v1/memories/${encodeURIComponent(id)}/`;
}

function requireFilters(filters: MemoryFilters | undefined): MemoryFilters {
  if (typeof filters !== "object" || filters === null)
    throw new InvalidInputError("filters with a user_id are required");
  return filters;
}

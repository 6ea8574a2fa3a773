import { ConfigError, MemoryError, NotFoundError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { tokenFingerprint } from "../../core/token-mask.js";
import type {
  AddResult,
  HistoryEvent,
  Memory,
  MemoryPage,
  ScoredMemory,
  StoreStats,
} from "../../core/types.js";
import type { SecurityEvents } from "../../http/security-events.js";
import { CheckedMemoryStore } from "../checked-store.js";
import type { StoreHealth } from "../memory-store.js";
import {
  type CheckedAdd,
  type CheckedFilters,
  type CheckedList,
  type CheckedPatch,
  type CheckedSearch,
  onlyUser,
} from "../validate-input.js";
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
import { assertNoReservedKeys, META, splitMetadata } from "./metadata-keys.js";
import { clampScore, resultsOf, toHistory, toMemory, toScoredMemory } from "./normalise.js";
import type { RetryPolicy } from "./retry-policy.js";
import { computeStats } from "./stats.js";

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
  /** A rejected MEM0_API_KEY is a security event (the key only as its fingerprint). */
  security?: SecurityEvents | undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Mem0 Platform behind `MemoryStore`: same shapes and errors as the SQLite store. */
export class Mem0MemoryStore extends CheckedMemoryStore {
  readonly backend = "mem0";
  protected override readonly maxSearchLimit = MAX_TOP_K;
  readonly apiVersion: Mem0ApiVersion;
  private readonly http: Mem0HttpClient;
  private readonly adder: Mem0Adder;
  private readonly lister: Mem0Lister;
  private readonly endpoints: Mem0Endpoints;
  private closed = false;
  private readonly baseUrl: string;
  private readonly security: SecurityEvents | undefined;

  constructor(settings: Mem0Settings, logger: Logger, options: Mem0StoreOptions = {}) {
    super();
    if (!settings.apiKey) throw new ConfigError("MEM0_API_KEY is not set");
    this.apiVersion = settings.apiVersion ?? "v3";
    this.baseUrl = settings.baseUrl.replace(/\/+$/, "");
    this.endpoints = endpointsFor(this.apiVersion);
    const sleep = options.sleep ?? realSleep;
    const now = options.now ?? Date.now;
    this.http = new Mem0HttpClient({
      baseUrl: this.baseUrl,
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
      onKeyRejected: (status, request) =>
        options.security?.record("mem0_key_rejected", {
          reason: "key_rejected",
          status,
          request,
          host: new URL(this.baseUrl).host,
          presented: tokenFingerprint(settings.apiKey ?? ""),
        }),
    });
    this.security = options.security;
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

  /** `ping` once, without retries. */
  async health(): Promise<StoreHealth> {
    const { orgId, projectId } = await this.ping({ retries: 0 });
    const scope = orgId || projectId ? ` (org ${orgId ?? "-"}, project ${projectId ?? "-"})` : "";
    return { backend: this.backend, detail: `${this.baseUrl} accepts MEM0_API_KEY${scope}` };
  }

  protected async addChecked(input: CheckedAdd): Promise<AddResult> {
    this.open();
    return this.adder.add(input);
  }

  /** One add after another, in order (the outbox relies on the order). */
  protected async addManyChecked(
    inputs: CheckedAdd[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<AddResult[]> {
    this.open();
    for (const input of inputs) this.adder.check(input);
    const results: AddResult[] = [];
    for (const input of inputs) {
      results.push(await this.adder.add(input));
      onProgress?.(results.length, inputs.length);
    }
    return results;
  }

  protected async searchChecked(s: CheckedSearch): Promise<ScoredMemory[]> {
    this.open();
    const filters = toMem0Filters(s.filters);
    // Mem0 refuses an empty query, and NUL cannot be stored in its database.
    const text = s.query.replace(/\u0000/g, " ").trim();
    if (text === "") return [];
    const body: Record<string, unknown> = { query: text, filters, top_k: s.limit };
    if (s.hasThreshold) body.threshold = s.threshold;
    const answer = await this.http.request({
      method: "POST",
      path: this.endpoints.searchPath,
      body,
      idempotent: true,
    });
    const userId = s.filters.user_id;
    return resultsOf(answer)
      .map((r, rank) => ({ m: toScoredMemory(r, userId), rank }))
      .filter(({ m }) => m.user_id === userId && (!s.hasThreshold || m.score >= clampScore(s.threshold)))
      .sort((a, b) => b.m.score - a.m.score || a.rank - b.rank)
      .slice(0, s.limit)
      .map(({ m }) => m);
  }

  /** Newest first; the cursor survives memories added between pages. */
  protected async listChecked(l: CheckedList): Promise<MemoryPage> {
    this.open();
    return this.lister.list(l.filters, l.limit, l.cursor);
  }

  protected async getChecked(id: string, userId: string | undefined): Promise<Memory | null> {
    this.open();
    const raw = await this.getRaw(id);
    if (raw === null) return null;
    const memory = toMemory(raw);
    return userId !== undefined && memory.user_id !== userId ? null : memory;
  }

  protected async updateChecked(id: string, patch: CheckedPatch): Promise<Memory> {
    this.open();
    if (patch.metadata) assertNoReservedKeys(patch.metadata.value, "metadata");
    const raw = await this.getRaw(id);
    if (raw === null) throw new NotFoundError("memory", id);
    const current = splitMetadata((raw as Record<string, unknown>).metadata);
    const metadata = { ...(patch.metadata?.value ?? current.user), ...current.reserved };
    if (patch.memory !== undefined) metadata[META.hash] = patch.memory.hash;
    if (patch.categories !== undefined) {
      if (patch.categories.length > 0) metadata[META.categories] = patch.categories;
      else delete metadata[META.categories];
    }
    const body: Record<string, unknown> = { metadata };
    if (patch.memory !== undefined) body.text = patch.memory.text;
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

  protected async deleteChecked(id: string): Promise<void> {
    this.open();
    const answer = await this.http.send({
      method: "DELETE",
      path: memoryPath(id),
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
  protected async deleteAllChecked(scope: CheckedFilters): Promise<number> {
    this.open();
    const user_id = scope.user_id;
    const ids = (await this.lister.all(scope)).map((m) => m.id);
    if (onlyUser(scope)) {
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
  protected async historyChecked(id: string): Promise<HistoryEvent[]> {
    this.open();
    const answer = await this.http.send({
      method: "GET",
      path: `${memoryPath(id)}history/`,
      idempotent: true,
      allow404: true,
    });
    return answer.status === 404 ? [] : toHistory(answer.body, id);
  }

  protected async statsChecked(userId: string | undefined): Promise<StoreStats> {
    this.open();
    return computeStats(
      (page) => this.lister.rawPage({ AND: [{ user_id: userId ?? "*" }] }, page, MAX_PAGE_SIZE),
      (id) => this.historyChecked(id),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.security?.close();
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

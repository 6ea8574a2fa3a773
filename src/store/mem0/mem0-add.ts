import type { Logger } from "../../core/logger.js";
import type { AddResult, Memory, Metadata } from "../../core/types.js";
import type { CheckedAdd } from "../validate-input.js";
import { addFailure, type PollOptions, parseAddAnswer, pollAddEvent } from "./add-events.js";
import type { Mem0Endpoints } from "./api-version.js";
import { hashFilter } from "./filters.js";
import type { Mem0HttpClient } from "./http-client.js";
import { assertNoReservedKeys, META } from "./metadata-keys.js";
import { resultsOf, toMemory } from "./normalise.js";

export interface AddSettings {
  endpoints: Mem0Endpoints;
  /** Mem0 extracts memories with its LLM (true) or stores the text as given (false). */
  infer: boolean;
  /** Poll the event until the memory exists (bounded by `poll.budgetMs`). */
  waitForAdd: boolean;
  poll: PollOptions;
}

/**
 * One add against Mem0: duplicate check (verbatim mode), the write, and —
 * when the caller wants the memory — polling the asynchronous event.
 */
export class Mem0Adder {
  constructor(
    private readonly http: Mem0HttpClient,
    private readonly settings: AddSettings,
    private readonly logger: Logger,
  ) {}

  /** Reserved metadata keys are refused before anything is sent (see metadata-keys.ts). */
  check(input: CheckedAdd): void {
    assertNoReservedKeys(input.metadata, "metadata");
  }

  async add(input: CheckedAdd): Promise<AddResult> {
    this.check(input);
    const { infer } = this.settings;
    const hash = input.hash;
    if (!infer) {
      const existing = await this.findByHash(input.user_id, hash);
      if (existing) return { status: "duplicate", memory: existing };
    }
    const answer = await this.http.request({
      method: "POST",
      path: this.settings.endpoints.addPath,
      body: this.body(input, infer ? null : hash),
      idempotent: false,
    });
    let outcome = parseAddAnswer(answer);
    if (outcome.kind === "pending" && this.settings.waitForAdd) {
      outcome = await pollAddEvent(this.http, outcome.eventId, this.settings.poll, this.logger);
    }
    if (outcome.kind === "failed") throw addFailure(outcome.reason);
    if (outcome.kind === "pending") return { status: "pending", memory: null, event_id: outcome.eventId };
    const [first] = outcome.memoryIds;
    if (!first) {
      // Mem0's extraction found nothing worth keeping (infer mode).
      this.logger.debug("mem0 add stored no memory", { infer });
      return { status: "created", memory: null };
    }
    return { status: "created", memory: await this.fetch(first, input.user_id) };
  }

  private body(input: CheckedAdd, hash: string | null): Record<string, unknown> {
    const metadata: Metadata = { ...input.metadata };
    if (hash) metadata[META.hash] = hash;
    if (input.agent_id) metadata[META.agentId] = input.agent_id;
    if (input.app_id) metadata[META.appId] = input.app_id;
    if (input.run_id) metadata[META.runId] = input.run_id;
    if (input.categories.length > 0) metadata[META.categories] = input.categories;
    const messages =
      this.settings.infer && input.messages && input.messages.length > 0
        ? input.messages.map((m) => ({ role: m.role, content: m.content }))
        : [{ role: "user", content: input.memory }];
    const body: Record<string, unknown> = {
      ...this.settings.endpoints.addExtras,
      messages,
      user_id: input.user_id,
      metadata,
      infer: this.settings.infer,
    };
    if (input.created_at !== null) {
      const ms = Date.parse(input.created_at);
      body.timestamp = Math.floor(ms / 1000);
      metadata[META.createdAt] = new Date(ms).toISOString();
    }
    return body;
  }

  private async findByHash(userId: string, hash: string): Promise<Memory | null> {
    const body = await this.http.request({
      method: "POST",
      path: this.settings.endpoints.listPath,
      query: { page: 1, page_size: 1 },
      body: { filters: hashFilter(userId, hash) },
      idempotent: true,
    });
    const [first] = resultsOf(body);
    return first === undefined ? null : toMemory(first, userId);
  }

  private async fetch(id: string, userId: string): Promise<Memory> {
    const body = await this.http.request({
      method: "GET",
      path: `/v1/memories/${encodeURIComponent(id)}/`,
      idempotent: true,
    });
    return toMemory(body, userId);
  }
}

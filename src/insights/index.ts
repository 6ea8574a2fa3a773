/**
 * The insights service: extraction of typed memories from captured turns,
 * `analyze` (insights over the recent turns, stored as the scope's
 * reflection) and `suggest` (next actions). Offline by default; the
 * model-written reflection runs only when REFLECTION_MODEL and
 * ANTHROPIC_API_KEY are both configured.
 */

import type { Config } from "../core/config.js";
import { InvalidInputError } from "../core/errors.js";
import { type AnalysisResult, analyse, countKinds } from "../core/insights/assemble.js";
import { inScope } from "../core/insights/memory-insights.js";
import { renderAnalysis, renderEmpty, renderSuggestions } from "../core/insights/render.js";
import { suggestActions } from "../core/insights/suggestions.js";
import type { DerivedRecord, TurnRecord } from "../core/insights/types.js";
import type { Logger } from "../core/logger.js";
import type { InsightsProvider, InsightsResult } from "../mcp/insights-provider.js";
import type { MemoryStore } from "../store/memory-store.js";
import { readDerived } from "./derived-store.js";
import { type ExtractionStateStore, fileStateStore } from "./extraction-state.js";
import { createExtractor, type ExtractionCounts } from "./extractor.js";
import { modelReflection } from "./model-client.js";
import { saveReflection } from "./reflection-store.js";
import { isAnalysable, readTurnSets } from "./turn-reader.js";

export interface InsightsDeps {
  store: MemoryStore;
  config: Config;
  logger: Logger;
  /** For the opt-in model reflection (tests pass their own). */
  fetch?: typeof fetch;
  /** Where extraction keeps its watermark (default: a file in the data directory). */
  state?: ExtractionStateStore;
  /** The clock (tests pin it). */
  now?: () => Date;
}

export interface Insights {
  provider: InsightsProvider;
  extractNew(user_id: string): Promise<ExtractionCounts>;
}

/** The user's history read as the background for key phrases. */
export const HISTORY_CAP = 5000;
/** Topics that get older related turns attached by search. */
const RELATED_TOPICS = 3;

function checkScope(userId: string, limit?: number): void {
  if (typeof userId !== "string" || userId.trim() === "")
    throw new InvalidInputError("user_id must not be empty");
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
    throw new InvalidInputError("limit must be a whole number from 1 to 10000");
  }
}

export function createInsights(deps: InsightsDeps): Insights {
  const { store, config } = deps;
  const logger = deps.logger.child({ component: "insights" });
  const now = deps.now ?? (() => new Date());
  const extractor = createExtractor({
    store,
    logger,
    state: deps.state ?? fileStateStore(config.dataDir),
    agentId: config.defaultAgentId,
  });

  /** Extraction before reading, so the newest turns count; a failure there leaves what is stored. */
  async function freshen(userId: string): Promise<void> {
    try {
      await extractor.extractNew(userId);
    } catch (e) {
      logger.warn("insights extraction failed; analysing what is stored", { error: (e as Error).name });
    }
  }

  /** Older turns that search finds for the top topics become part of their evidence. */
  async function attachRelated(result: AnalysisResult, userId: string, appId: string | null): Promise<void> {
    const inWindow = new Set(result.insights.filter((i) => i.kind === "topic").flatMap((i) => i.memory_ids));
    for (const topic of result.insights.filter((i) => i.kind === "topic").slice(0, RELATED_TOPICS)) {
      let hits: { id: string }[];
      try {
        const found = await store.search(topic.title, {
          filters: { user_id: userId, app_id: appId ?? undefined },
          limit: 10,
        });
        hits = found.filter(isAnalysable).slice(0, 5);
      } catch (e) {
        // Related turns are extra evidence; the analysis stands without them.
        logger.warn("related-turn search failed", { error: (e as Error).name });
        return;
      }
      const earlier = hits
        .map((h) => h.id)
        .filter((id) => !inWindow.has(id) && !topic.memory_ids.includes(id));
      if (earlier.length === 0) continue;
      topic.memory_ids.push(...earlier);
      topic.counts.related_earlier = earlier.length;
    }
  }

  /** The opt-in model reflection replaces the offline insights when it answers validly. */
  async function tryModel(
    result: AnalysisResult,
    window: TurnRecord[],
    derived: DerivedRecord[],
  ): Promise<void> {
    const { model, anthropicApiKey } = config.reflection;
    if (!model || !anthropicApiKey) return;
    const answer = await modelReflection(
      {
        model,
        apiKey: anthropicApiKey,
        baseURL: config.reflection.baseUrl ?? config.proxy.upstreamUrl,
        fetch: deps.fetch,
      },
      window,
      derived,
    );
    if (answer.ok) {
      result.insights = answer.insights;
      result.source = `model:${model}`;
    } else {
      logger.warn("model reflection failed; using the offline analysis", { reason: answer.reason });
      result.model_fallback = answer.reason;
    }
  }

  const provider: InsightsProvider = {
    async analyze(opts): Promise<InsightsResult> {
      checkScope(opts.user_id, opts.limit);
      const appId = opts.app_id ?? null;
      await freshen(opts.user_id);
      const { window, history } = await readTurnSets(store, {
        user_id: opts.user_id,
        app_id: appId,
        limit: opts.limit,
        historyCap: HISTORY_CAP,
      });
      const derived = await readDerived(store, opts.user_id);
      if (window.length === 0 && inScope(derived, appId).length === 0) {
        const data = { status: "empty", user_id: opts.user_id, app_id: appId, insights: [] };
        return { text: renderEmpty(opts.user_id, appId), data };
      }
      const result = analyse({
        user_id: opts.user_id,
        app_id: appId,
        window,
        history,
        derived,
        now: now().toISOString(),
      });
      await attachRelated(result, opts.user_id, appId);
      await tryModel(result, window, derived);
      const text = renderAnalysis(result);
      const reflection = await saveReflection(store, {
        user_id: opts.user_id,
        agent_id: config.defaultAgentId,
        app_id: appId,
        text,
        metadata: {
          generated_at: result.generated_at,
          analysis_source: result.source,
          turns: result.window.turns,
          insights: result.insights.map((i) => ({
            kind: i.kind,
            title: i.title,
            confidence: i.confidence,
            memory_ids: i.memory_ids.slice(0, 20),
          })),
        },
      });
      return { text, data: { status: "ok", ...result, reflection_id: reflection.id } };
    },

    async suggest(opts): Promise<InsightsResult> {
      checkScope(opts.user_id);
      const appId = opts.app_id ?? null;
      await freshen(opts.user_id);
      const derived = await readDerived(store, opts.user_id);
      const { window, history } = await readTurnSets(store, {
        user_id: opts.user_id,
        app_id: appId,
        limit: 1,
        historyCap: HISTORY_CAP,
      });
      if (window.length === 0 && inScope(derived, appId).length === 0) {
        const data = { status: "empty", user_id: opts.user_id, app_id: appId, suggestions: [] };
        return { text: renderEmpty(opts.user_id, appId), data };
      }
      const suggestions = suggestActions({
        app_id: appId,
        derived,
        turns: history,
        now: now().toISOString(),
      });
      const lookedAt = {
        kinds: countKinds(appId === null ? history : history.filter((t) => t.app_id === appId)),
        derived: inScope(derived, appId).length,
      };
      return {
        text: renderSuggestions(opts.user_id, appId, suggestions, lookedAt),
        data: { status: "ok", user_id: opts.user_id, app_id: appId, looked_at: lookedAt, suggestions },
      };
    },
  };

  return { provider, extractNew: (userId) => extractor.extractNew(userId) };
}

/**
 * The opt-in model-written reflection: sends the selected turns to the
 * Messages API with the official SDK and validates the answer. Used only
 * when both REFLECTION_MODEL and ANTHROPIC_API_KEY are configured; any
 * failure returns a reason (never content) and the caller keeps the offline
 * analysis.
 */
import Anthropic from "@anthropic-ai/sdk";
import {
  buildReflectionPrompt,
  parseModelAnswer,
  REFLECTION_SYSTEM,
} from "../core/insights/model-reflection.js";
import type { DerivedRecord, Insight, TurnRecord } from "../core/insights/types.js";

export interface ModelReflectionConfig {
  model: string;
  apiKey: string;
  baseURL: string;
  fetch?: typeof fetch | undefined;
  timeoutMs?: number | undefined;
  maxTokens?: number | undefined;
}

export type ModelReflection = { ok: true; insights: Insight[] } | { ok: false; reason: string };

export async function modelReflection(
  cfg: ModelReflectionConfig,
  turns: readonly TurnRecord[],
  derived: readonly DerivedRecord[],
): Promise<ModelReflection> {
  const client = new Anthropic({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseURL,
    timeout: cfg.timeoutMs ?? 60_000,
    maxRetries: 1,
    ...(cfg.fetch ? { fetch: cfg.fetch } : {}),
  });
  let text: string;
  try {
    const reply = await client.messages.create({
      model: cfg.model,
      max_tokens: cfg.maxTokens ?? 4096,
      system: REFLECTION_SYSTEM,
      messages: [{ role: "user", content: buildReflectionPrompt(turns, derived) }],
    });
    text = reply.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    if (reply.stop_reason === "max_tokens") return { ok: false, reason: "the reply was cut at max_tokens" };
  } catch (e) {
    const status = e instanceof Anthropic.APIError ? ` (HTTP ${e.status ?? "no status"})` : "";
    return {
      ok: false,
      reason: `the Messages API call failed${status}: ${e instanceof Error ? e.name : "error"}`,
    };
  }
  const allowed = new Set([...turns.map((t) => t.id), ...derived.map((d) => d.id)]);
  return parseModelAnswer(text, allowed);
}

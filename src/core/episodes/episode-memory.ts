/**
 * The memory stored for an episode: text that reads well to a person in
 * `show` and to Claude in a search result (the person's words, the answer,
 * a compact trace), and the episode's facts as metadata. Pure.
 */
import { truncate } from "../capture/message-text.js";
import type { AddInput } from "../types.js";
import type { Episode, TraceStep } from "./types.js";

/** Trace lines shown in the memory text; the rest are counted. */
export const TRACE_LINES_MAX = 40;

/** The `metadata.kind` of an episode memory. */
export const EPISODE_KIND = "episode";

function stepLine(step: TraceStep): string {
  if (step.kind === "note") return `- (${step.text})`;
  if (step.kind === "user") return `- User: ${step.text}`;
  return step.error ? `- ${step.line} → error: ${step.error}` : `- ${step.line}`;
}

/** The trace section's lines (`- Read notes.md`, …), bounded. */
export function traceLines(steps: readonly TraceStep[]): string[] {
  const lines = steps.slice(0, TRACE_LINES_MAX).map(stepLine);
  if (steps.length > TRACE_LINES_MAX) lines.push(`- … ${steps.length - TRACE_LINES_MAX} more steps`);
  return lines;
}

/** `User: …` / `Assistant: …` / `Trace:` — the episode's memory text. */
export function episodeText(ep: Episode): string {
  const lines = [`User: ${ep.words}`];
  if (ep.answer !== "") lines.push(`Assistant: ${ep.answer}`);
  if (!ep.complete) lines.push(`[episode incomplete: ${truncate(ep.incomplete_reason ?? "unknown", 200)}]`);
  if (ep.steps.length > 0) lines.push("Trace:", ...traceLines(ep.steps));
  return lines.join("\n");
}

function durationMs(ep: Episode): number | null {
  const d = Date.parse(ep.ended_at) - Date.parse(ep.started_at);
  return Number.isFinite(d) && d >= 0 ? d : null;
}

/** The memory to store for an episode. */
export function episodeToMemory(ep: Episode): AddInput {
  const messages: NonNullable<AddInput["messages"]> = [{ role: "user", content: ep.words }];
  if (ep.answer !== "") messages.push({ role: "assistant", content: ep.answer });
  return {
    user_id: ep.user_id,
    agent_id: ep.agent_id,
    app_id: ep.app_id ?? undefined,
    run_id: ep.run_id ?? undefined,
    memory: episodeText(ep),
    messages,
    metadata: {
      source: ep.source,
      kind: EPISODE_KIND,
      episode_key: ep.key,
      complete: ep.complete,
      incomplete_reason: ep.incomplete_reason,
      files_read: ep.files_read,
      files_changed: ep.files_changed,
      commands: ep.commands,
      tools: ep.tools,
      subagents: ep.subagents,
      requests: ep.requests,
      usage: ep.usage,
      model: ep.model,
      stop_reason: ep.stop_reason,
      client: ep.client,
      started_at: ep.started_at,
      ended_at: ep.ended_at,
      duration_ms: durationMs(ep),
    },
    categories: ["conversation"],
    created_at: ep.started_at,
  };
}

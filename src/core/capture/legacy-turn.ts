/**
 * Outbox rows written by releases before episodes hold one turn (the latest
 * user message and its reply). They are still delivered as they were meant
 * to be stored, so an upgrade loses nothing queued. Pure.
 */
import { createHash } from "node:crypto";
import type { AddInput } from "../types.js";
import { truncate } from "./message-text.js";

/** Bound on the memory text of a legacy turn. */
const MEMORY_TEXT_MAX_CHARS = 8_000;

/** One stored conversation turn, as releases before episodes queued it. */
export interface ConversationTurn {
  key: string;
  user_id: string;
  agent_id: string;
  app_id: string | null;
  run_id: string | null;
  user_text: string;
  assistant_text: string;
  model: string | null;
  stop_reason: string | null;
  usage: Record<string, number> | null;
  complete: boolean;
  error: string | null;
  started_at: string;
  ended_at: string;
  client: string | null;
}

/** The key a legacy turn was queued under: sha256 of session, user text and assistant text. */
export function turnKey(runId: string | null, userText: string, assistantText: string): string {
  return createHash("sha256")
    .update(runId ?? "")
    .update("\u0000")
    .update(userText)
    .update("\u0000")
    .update(assistantText)
    .digest("hex");
}

/** Whether an outbox payload is a legacy turn. */
export function isConversationTurn(v: unknown): v is ConversationTurn {
  return typeof v === "object" && v !== null && typeof (v as ConversationTurn).user_text === "string";
}

/** The memory to store for a turn: bounded text, the turn's facts as metadata. */
export function turnToMemory(turn: ConversationTurn): AddInput {
  const half = Math.floor(MEMORY_TEXT_MAX_CHARS / 2);
  const lines: string[] = [];
  if (turn.user_text !== "") lines.push(`User: ${truncate(turn.user_text, half)}`);
  if (turn.assistant_text !== "") lines.push(`Assistant: ${truncate(turn.assistant_text, half)}`);
  if (!turn.complete) lines.push(`[reply incomplete${turn.error ? `: ${truncate(turn.error, 200)}` : ""}]`);
  const messages: NonNullable<AddInput["messages"]> = [];
  if (turn.user_text !== "") messages.push({ role: "user", content: truncate(turn.user_text, half) });
  if (turn.assistant_text !== "") {
    messages.push({ role: "assistant", content: truncate(turn.assistant_text, half) });
  }
  return {
    user_id: turn.user_id,
    agent_id: turn.agent_id,
    app_id: turn.app_id ?? undefined,
    run_id: turn.run_id ?? undefined,
    memory: lines.join("\n"),
    messages,
    metadata: {
      source: "capture",
      turn_key: turn.key,
      model: turn.model,
      stop_reason: turn.stop_reason,
      usage: turn.usage,
      complete: turn.complete,
      error: turn.error,
      client: turn.client,
      started_at: turn.started_at,
    },
    categories: ["conversation"],
    created_at: turn.started_at,
  };
}

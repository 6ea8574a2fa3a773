/**
 * One captured exchange → one conversation turn (or a reason to skip it).
 * Claude Code resends the whole history with every request, so only what is
 * new is kept: the latest user message and the reply to it. Pure; never
 * throws on any input.
 */
import { createHash } from "node:crypto";
import type { AddInput } from "../types.js";
import type { CapturedExchange, ConversationTurn, ReassembledMessage, TurnResult } from "./exchange.js";
import { emptyMessage } from "./message-accumulator.js";
import { assistantContentText, truncate, userContentText } from "./message-text.js";
import { classifyBody, classifyRoute, DEFAULT_NOISE_RULES, type NoiseRules } from "./noise-filter.js";
import { redact } from "./redaction.js";
import { latestUserContent, parseRequestBody } from "./request-body.js";
import { clientName, headerValue, sessionId, workingDirectory } from "./session-fields.js";
import { createSseReassembler, parseJsonResponse } from "./sse-reassembler.js";

/** Bound on each of user_text and assistant_text. */
export const TURN_TEXT_MAX_CHARS = 32_000;
/** Bound on the memory text built by `turnToMemory`. */
export const MEMORY_TEXT_MAX_CHARS = 8_000;

export interface ExtractTurnOptions {
  defaultUserId: string;
  defaultAgentId: string;
  /** Defaults to DEFAULT_NOISE_RULES. */
  noiseRules?: NoiseRules | undefined;
}

function looksLikeSse(ex: CapturedExchange): boolean {
  const type = headerValue(ex.responseHeaders, "content-type")?.toLowerCase() ?? "";
  if (type.includes("text/event-stream")) return true;
  if (type.includes("json")) return false;
  const head = ex.responseBody.subarray(0, 64).toString("utf8").trimStart();
  return head.startsWith("event:") || head.startsWith("data:") || head.startsWith(":");
}

/** The reply and whether it arrived whole, taking the proxy's view of the transfer into account. */
export function reassembleResponse(ex: CapturedExchange): ReassembledMessage {
  if (ex.status === null) {
    return {
      ...emptyMessage(),
      error: { type: "no_response", message: "no response arrived from the upstream" },
    };
  }
  let msg: ReassembledMessage;
  if (looksLikeSse(ex)) {
    const r = createSseReassembler();
    r.push(ex.responseBody);
    msg = r.end();
    // message_stop seen means the reply is whole even if the connection closed badly after it.
  } else {
    msg = parseJsonResponse(ex.responseBody);
    if (!ex.responseComplete) msg = { ...msg, complete: false };
  }
  if ((ex.status < 200 || ex.status >= 300) && !msg.error) {
    msg = { ...msg, complete: false, error: { type: "http_error", message: `HTTP ${ex.status}` } };
  }
  if (ex.truncated) {
    msg = {
      ...msg,
      complete: false,
      error: msg.error ?? {
        type: "capture_truncated",
        message: "the response exceeded the capture size cap",
      },
    };
  }
  if (!msg.complete && !msg.error) {
    msg = {
      ...msg,
      error: { type: "interrupted", message: "the response ended before the message finished" },
    };
  }
  return msg;
}

/** Numeric usage counters; nested objects flattened as `parent.child`. */
export function numericUsage(usage: Record<string, unknown> | null): Record<string, number> | null {
  if (!usage) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(usage)) {
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (typeof v2 === "number" && Number.isFinite(v2)) out[`${k}.${k2}`] = v2;
      }
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}

export function turnKey(runId: string | null, userText: string, assistantText: string): string {
  return createHash("sha256")
    .update(runId ?? "")
    .update("\u0000")
    .update(userText)
    .update("\u0000")
    .update(assistantText)
    .digest("hex");
}

function extract(ex: CapturedExchange, opts: ExtractTurnOptions): TurnResult {
  const rules = opts.noiseRules ?? DEFAULT_NOISE_RULES;
  const route = classifyRoute(ex, rules);
  if (!route.capture) return { kind: "skip", reason: route.reason };
  const body = parseRequestBody(ex.requestBody);
  if (!body) return { kind: "skip", reason: "malformed request" };
  const noise = classifyBody(body, rules);
  if (!noise.capture) return { kind: "skip", reason: noise.reason };

  const reply = reassembleResponse(ex);
  const userText = truncate(userContentText(latestUserContent(body)), TURN_TEXT_MAX_CHARS);
  const assistantText = truncate(assistantContentText(reply.content), TURN_TEXT_MAX_CHARS);
  if (userText === "" && assistantText === "") {
    return { kind: "skip", reason: "no user or assistant text after stripping" };
  }
  // A refused request (400, 401, 429, 529 ...) carries no reply: the client
  // retries it or shows the error, and the user's words come again with the
  // next request. Storing it would add an empty turn beside the retried one.
  if (ex.status !== null && (ex.status < 200 || ex.status >= 300) && assistantText === "") {
    return { kind: "skip", reason: `error reply (HTTP ${ex.status}) with no content` };
  }
  const runId = sessionId(ex.requestHeaders, body);
  const model = reply.model ?? (typeof body.model === "string" ? body.model : null);
  const error = reply.error
    ? truncate(redact(`${reply.error.type}${reply.error.message ? `: ${reply.error.message}` : ""}`), 500)
    : null;
  const turn: ConversationTurn = {
    key: turnKey(runId, userText, assistantText),
    user_id: opts.defaultUserId,
    agent_id: opts.defaultAgentId,
    app_id: workingDirectory(body),
    run_id: runId,
    user_text: userText,
    assistant_text: assistantText,
    model,
    stop_reason: reply.stop_reason,
    usage: numericUsage(reply.usage),
    complete: reply.complete,
    error,
    started_at: ex.startedAt,
    ended_at: ex.endedAt,
    client: clientName(ex.requestHeaders),
  };
  return { kind: "turn", turn };
}

/**
 * Noise filter first (same rules as `classifyRequest`), then the latest user
 * message and the reply. Incomplete and errored replies become turns with
 * `complete: false` and `error` set. Never throws.
 */
export function extractTurn(ex: CapturedExchange, opts: ExtractTurnOptions): TurnResult {
  try {
    return extract(ex, opts);
  } catch (e) {
    // Defensive: no input may crash capture. The reason carries no content.
    return { kind: "skip", reason: `extraction failed (${e instanceof Error ? e.name : "error"})` };
  }
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

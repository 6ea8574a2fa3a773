/**
 * One captured exchange → the episode it belongs to, as far as it goes (or
 * a reason to skip it). The request carries the episode's history and the
 * reply continues or ends it; the capture pipeline keeps the partial
 * episode until one ends it (`src/capture/episode-tracker.ts`). Pure;
 * never throws on any input.
 */
import { createHash } from "node:crypto";
import { buildEpisode, episodeStart, personWords } from "../episodes/index.js";
import type { Episode } from "../episodes/types.js";
import type { CapturedExchange } from "./exchange.js";
import { classifyBody, classifyRoute, DEFAULT_NOISE_RULES, type NoiseRules } from "./noise-filter.js";
import { numericUsage, reassembleResponse } from "./reply.js";
import { parseRequestBody, type RequestBody, systemTexts } from "./request-body.js";
import { clientName, headerValue, sessionId, workingDirectory } from "./session-fields.js";

export interface InterpretOptions {
  defaultUserId: string;
  defaultAgentId: string;
  /** Defaults to DEFAULT_NOISE_RULES. */
  noiseRules?: NoiseRules | undefined;
}

export type ExchangeResult =
  | { kind: "skip"; reason: string }
  | {
      kind: "episode";
      /** The conversation this request belongs to: the session, or a hash of how it began. */
      conversation: string;
      /** Which episode of the conversation: where it starts and the person's words. */
      identity: string;
      /** This request's reply ended the episode. */
      ends: boolean;
      /** The episode so far; `usage` is this request's alone. */
      episode: Episode;
    };

/**
 * Team mode: the proxy puts the user of the caller's personal token in this
 * header of the captured copy of a request (never forwarded; a client's own
 * header of that name is dropped), so the episode becomes that user's memory.
 */
export const CAPTURED_USER_HEADER = "x-mcp-mitm-mem0-captured-user";

/** Claude Code marks a sub-agent's requests with this header; they are folded into the parent. */
export const SUBAGENT_HEADER = "x-claude-code-agent-id";

function hash(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\u0000");
  return h.digest("hex").slice(0, 32);
}

/** The session when the client names one, else a hash of the system prompt and first message. */
function conversationOf(session: string | null, body: RequestBody): string {
  if (session) return `session:${session}`;
  const first = body.messages.find((m) => (m as { role?: unknown })?.role === "user") as
    | { content?: unknown }
    | undefined;
  return `hash:${hash(systemTexts(body).join("\n").slice(0, 2000), personWords(first?.content))}`;
}

function interpret(ex: CapturedExchange, opts: InterpretOptions): ExchangeResult {
  const rules = opts.noiseRules ?? DEFAULT_NOISE_RULES;
  const route = classifyRoute(ex, rules);
  if (!route.capture) return { kind: "skip", reason: route.reason };
  const body = parseRequestBody(ex.requestBody);
  if (!body) return { kind: "skip", reason: "malformed request" };
  const noise = classifyBody(body, rules);
  if (!noise.capture) return { kind: "skip", reason: noise.reason };
  if (headerValue(ex.requestHeaders, SUBAGENT_HEADER) !== null) {
    return { kind: "skip", reason: "sub-agent request (its result is traced in the parent episode)" };
  }
  const start = episodeStart(body.messages);
  if (start === -1) return { kind: "skip", reason: "no message with the person's words" };

  const reply = reassembleResponse(ex);
  // A refused request (400, 401, 429, 529 ...) carries no reply; the client retries it.
  const refused = ex.status !== null && (ex.status < 200 || ex.status >= 300) && reply.content.length === 0;
  const session = sessionId(ex.requestHeaders, body);
  const capturedUser = headerValue(ex.requestHeaders, CAPTURED_USER_HEADER);
  const error = reply.error
    ? `${reply.error.type}${reply.error.message ? `: ${reply.error.message}` : ""}`
    : null;
  const episode = buildEpisode({
    messages: body.messages,
    reply: refused
      ? null
      : {
          content: reply.content,
          stop_reason: reply.stop_reason,
          model: reply.model ?? (typeof body.model === "string" ? body.model : null),
          complete: reply.complete,
          error,
        },
    userId: capturedUser ?? opts.defaultUserId,
    agentId: opts.defaultAgentId,
    project: workingDirectory(body),
    session,
    client: clientName(ex.requestHeaders),
    source: "capture",
    startedAt: ex.startedAt,
    endedAt: ex.endedAt,
    usage: numericUsage(reply.usage),
  });
  if (!episode) return { kind: "skip", reason: "no episode in the request" };
  if (refused) episode.incomplete_reason = `error reply (HTTP ${ex.status})`;
  if (capturedUser) {
    // One person's episode is never taken for another's (the outbox and the store dedupe by key).
    const perUser = (key: string) =>
      createHash("sha256").update(`user\u0000${capturedUser}\u0000${key}`).digest("hex");
    episode.key = perUser(episode.key);
    episode.incomplete_key = perUser(episode.incomplete_key);
  }
  return {
    kind: "episode",
    // Two people's conversations never merge, even with the same session id.
    conversation: capturedUser
      ? `user:${capturedUser}|${conversationOf(session, body)}`
      : conversationOf(session, body),
    identity: hash(String(start), episode.words),
    ends: episode.complete,
    episode,
  };
}

/**
 * Noise filter first (same rules as `classifyRequest`), then the episode the
 * request and its reply hold. Never throws.
 */
export function interpretExchange(ex: CapturedExchange, opts: InterpretOptions): ExchangeResult {
  try {
    return interpret(ex, opts);
  } catch (e) {
    // Defensive: no input may crash capture. The reason carries no content.
    return { kind: "skip", reason: `extraction failed (${e instanceof Error ? e.name : "error"})` };
  }
}

/**
 * The episode builder: the history a request carries (or a transcript's
 * chain of messages) plus the reply to it → the episode so far. Every
 * request of an episode carries the whole history, so the request that
 * ends it holds all of it. Used by live capture and by the transcript
 * reader alike. Pure; never throws on any input.
 */
import { createHash } from "node:crypto";
import type { ContentBlock } from "../capture/exchange.js";
import { isObject } from "../capture/message-accumulator.js";
import { stripSystemReminders, truncate } from "../capture/message-text.js";
import { redact } from "../capture/redaction.js";
import { hasToolResults, isPersonMessage, personWords } from "./person-words.js";
import { firstLine, toolResultText, traceCall } from "./trace.js";
import {
  type ApiMessage,
  ENDING_STOP_REASONS,
  type Episode,
  type EpisodeFacts,
  type EpisodeReply,
  type EpisodeSource,
  type TraceStep,
} from "./types.js";

/** Bounds on the person's words and the final answer. */
export const WORDS_MAX_CHARS = 3000;
export const ANSWER_MAX_CHARS = 3000;
/** Bound on one note (assistant text between tool calls) and on how many are kept. */
const NOTE_MAX_CHARS = 300;
const NOTES_MAX = 8;
/** Bound on each metadata list. */
const FACT_LIST_MAX = 100;

export interface EpisodeInput {
  /** The request's messages: the history so far, before `reply`. */
  messages: readonly unknown[];
  /** The reply to that request; null when none arrived. */
  reply: EpisodeReply | null;
  userId: string;
  agentId: string;
  project: string | null;
  session: string | null;
  client: string | null;
  source: EpisodeSource;
  startedAt: string;
  endedAt: string;
  /** Usage summed over the episode's requests so far. */
  usage: Record<string, number> | null;
}

/** Where the current episode starts in `messages`: the last message with the person's words. */
export function episodeStart(messages: readonly unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (isPersonMessage(messages[i])) return i;
  return -1;
}

function sha256(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\u0000");
  return h.digest("hex");
}

/** The key of a complete episode: session, words and answer (docs/capture-rules.md). */
export function episodeKey(session: string | null, words: string, answer: string): string {
  return sha256("episode", session ?? "", words, answer);
}

/** The key of an episode that did not end: one per session and words. */
export function incompleteEpisodeKey(session: string | null, words: string): string {
  return sha256("episode-incomplete", session ?? "", words);
}

/** Filler between tool calls ("Let me read the notes.") is not kept; findings and plans are. */
const FILLER =
  /^(?:(?:ok(?:ay)?|great|good|now|next|then|first|alright|sure|perfect)[,.!]?\s+)*(?:let me|let's|i'll|i will|i'm going to|i am going to|going to|i need to|running|checking|reading|listing|looking|searching|trying|fixing|opening)\b/i;

function isFiller(text: string): boolean {
  if (text.length < 25) return true;
  const sentences = text.split(/[.!?](?:\s|$)/).filter((s) => s.trim() !== "").length;
  return text.length < 80 && sentences <= 1 && FILLER.test(text);
}

function blocks(content: unknown): ContentBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is ContentBlock => isObject(b) && typeof b.type === "string");
}

function cleanText(text: string): string {
  return redact(stripSystemReminders(text)).trim();
}

const TOOL_CALL_BLOCKS = new Set(["tool_use", "server_tool_use", "mcp_tool_use"]);

class Tracer {
  readonly steps: TraceStep[] = [];
  readonly facts: EpisodeFacts = { files_read: [], files_changed: [], commands: [], tools: [] };
  readonly subagents: string[] = [];
  private readonly byId = new Map<string, { index: number; subagent: boolean; recall: boolean }>();
  private notes = 0;

  constructor(private readonly project: string | null) {}

  assistant(content: ContentBlock[], final: boolean): string {
    const texts: string[] = [];
    for (const b of content) {
      if (b.type === "text" && typeof b.text === "string") {
        const t = cleanText(b.text);
        if (t !== "") texts.push(t);
      } else if (TOOL_CALL_BLOCKS.has(b.type)) {
        if (!final) this.flushNotes(texts);
        texts.length = 0;
        const name = typeof b.name === "string" ? b.name : "unknown";
        const call = traceCall(name, b.input, this.project, this.facts);
        this.steps.push({ kind: "tool", tool: name, line: call.line });
        if (typeof b.id === "string") {
          this.byId.set(b.id, { index: this.steps.length - 1, subagent: call.subagent, recall: call.recall });
        }
      }
      // thinking and redacted_thinking are never kept; server tool results are bodies.
    }
    if (final) return texts.join("\n\n");
    this.flushNotes(texts);
    return "";
  }

  private flushNotes(texts: string[]): void {
    for (const t of texts) {
      if (isFiller(t) || this.notes >= NOTES_MAX) continue;
      this.notes++;
      this.steps.push({ kind: "note", text: truncate(t, NOTE_MAX_CHARS) });
    }
  }

  results(content: unknown): void {
    for (const b of blocks(content)) {
      if (b.type === "tool_result" && typeof b.tool_use_id === "string") {
        const call = this.byId.get(b.tool_use_id);
        const step = call ? this.steps[call.index] : undefined;
        if (!call || !step || step.kind !== "tool" || call.recall) continue;
        if (b.is_error === true) {
          const err = firstLine(toolResultText(b.content));
          step.error = err === "" ? "failed" : err;
        } else if (call.subagent) {
          const result = firstLine(toolResultText(b.content), 160);
          if (result !== "") step.line = `${step.line} → ${result}`;
          this.subagents.push(step.line.replace(/^[^:]*:\s*/, ""));
        }
      } else if (b.type === "text" && typeof b.text === "string") {
        // Words the person sent while Claude worked (steering), beside tool results.
        const words = personWords([b]);
        if (words !== "") this.steps.push({ kind: "user", text: truncate(redact(words), NOTE_MAX_CHARS) });
      }
    }
  }
}

function capFacts(facts: EpisodeFacts): EpisodeFacts {
  return {
    files_read: facts.files_read.slice(0, FACT_LIST_MAX),
    files_changed: facts.files_changed.slice(0, FACT_LIST_MAX),
    commands: facts.commands.slice(0, FACT_LIST_MAX),
    tools: facts.tools.slice(0, FACT_LIST_MAX),
  };
}

function build(input: EpisodeInput): Episode | null {
  const { messages, reply } = input;
  const start = episodeStart(messages);
  if (start === -1) return null;
  const first = messages[start] as ApiMessage;
  const words = truncate(redact(personWords(first.content)), WORDS_MAX_CHARS);
  const tracer = new Tracer(input.project);
  let requests = 0;
  for (let i = start + 1; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m)) continue;
    if (m.role === "assistant") {
      requests++;
      tracer.assistant(blocks(m.content), false);
    } else if (m.role === "user" && hasToolResults(m.content)) {
      tracer.results(m.content);
    } else if (m.role === "user") {
      // A second user message without tool results after the start cannot happen (it would be the start).
      tracer.results(m.content);
    }
  }
  const ends =
    reply?.complete === true && reply.stop_reason !== null && ENDING_STOP_REASONS.has(reply.stop_reason);
  let answer = "";
  if (reply) {
    requests++;
    const text = tracer.assistant(reply.content, ends);
    if (ends) answer = truncate(text, ANSWER_MAX_CHARS);
  }
  let incompleteReason: string | null = null;
  if (!ends) {
    if (reply?.error) incompleteReason = truncate(redact(reply.error), 200);
    else if (reply === null) incompleteReason = "no reply arrived";
    else if (!reply.complete) incompleteReason = "the reply was cut off";
    else incompleteReason = "interrupted before the final answer";
  }
  const incompleteKey = incompleteEpisodeKey(input.session, words);
  return {
    key: ends ? episodeKey(input.session, words, answer) : incompleteKey,
    incomplete_key: incompleteKey,
    user_id: input.userId,
    agent_id: input.agentId,
    app_id: input.project,
    run_id: input.session,
    words,
    answer,
    steps: tracer.steps,
    ...capFacts(tracer.facts),
    requests,
    usage: input.usage,
    model: reply?.model ?? null,
    stop_reason: reply?.stop_reason ?? null,
    complete: ends,
    incomplete_reason: incompleteReason,
    started_at: input.startedAt,
    ended_at: input.endedAt,
    client: input.client,
    source: input.source,
    subagents: tracer.subagents,
  };
}

/**
 * The episode that `input.messages` + `input.reply` hold: from the last
 * message with the person's words to the reply. null when the history has
 * no such message. Complete when the reply ends the episode
 * (`ENDING_STOP_REASONS`, whole); otherwise a partial episode, marked with
 * why. Never throws.
 */
export function buildEpisode(input: EpisodeInput): Episode | null {
  try {
    return build(input);
  } catch {
    return null;
  }
}

/** Adds usage counters (for summing an episode's requests). */
export function addUsage(
  a: Record<string, number> | null,
  b: Record<string, number> | null,
): Record<string, number> | null {
  if (!a) return b ? { ...b } : null;
  if (!b) return { ...a };
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

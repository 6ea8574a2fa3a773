/**
 * From a stored conversation memory ("User: ...\nAssistant: ...") to a
 * `TurnRecord` with the person's words, the tool output and the reply kept
 * apart. Claude Code sends tool results back as the next user message, so a
 * user part that follows an assistant tool call is tool output, not words.
 */
import type { TurnRecord } from "./types.js";

export interface ConversationMemoryLike {
  id: string;
  memory: string;
  app_id: string | null;
  run_id: string | null;
  created_at: string;
  metadata?: Record<string, unknown>;
  /** What kind of memory it is (default: read from the text). */
  kind?: AnalysedKind | undefined;
}

/**
 * The kinds of memory the analyser reads: a captured episode, an older
 * captured per-request turn, or a note (added with `add` / `add_memory`, or imported).
 */
export const ANALYSED_KINDS = ["episode", "turn", "note"] as const;
export type AnalysedKind = (typeof ANALYSED_KINDS)[number];

const ROLE_LINE = /^(user|assistant|system):[ \t]?/i;

/**
 * A note as a record: its text is a statement (of the person, or about the
 * person and the project), so it is read as the person's words. A note
 * written as an exchange (`user: …` / `assistant: …` lines, what
 * `add_memory` stores for `messages`) keeps the two apart.
 */
export function noteRecord(m: ConversationMemoryLike): TurnRecord {
  const lines = m.memory.split("\n");
  const words: string[] = [];
  const replies: string[] = [];
  if (lines.some((l) => ROLE_LINE.test(l))) {
    let into = words;
    for (const line of lines) {
      const r = ROLE_LINE.exec(line);
      if (r) into = r[1]!.toLowerCase() === "assistant" ? replies : words;
      into.push(r ? line.slice(r[0].length) : line);
    }
  } else {
    words.push(m.memory);
  }
  return {
    id: m.id,
    app_id: m.app_id,
    run_id: m.run_id,
    created_at: m.created_at,
    user: words.join("\n").trim(),
    tool_results: "",
    assistant: replies.join("\n").trim(),
    kind: "note",
  };
}

const TOOL_CALL = /\[(?:tool_use|server_tool_use|mcp_tool_use) [^\n]*/g;

/** The sections of an episode's memory text (see `episodeText`). */
export interface EpisodeSections {
  user: string;
  assistant: string;
  /** Trace lines without their `- ` bullet. */
  trace: string[];
}

const TRACE_HEADER = /\nTrace:\n(?=- )/;
const INCOMPLETE_LINE = /\n\[episode incomplete: [^\n]*\]/;

/** Splits an episode's text into the words, the answer and the trace; null when it has no trace. */
export function splitEpisodeText(text: string): EpisodeSections | null {
  const m = TRACE_HEADER.exec(text);
  if (!m) return null;
  const head = text.slice(0, m.index).replace(INCOMPLETE_LINE, "");
  const trace = text
    .slice(m.index + m[0].length)
    .split("\n")
    .filter((l) => l.startsWith("- "))
    .map((l) => l.slice(2));
  return { ...splitTurnText(head), trace };
}

const TRACE_ERROR = / → error: /;

/**
 * What the analyser reads from a trace: failed calls as tool output
 * (`[tool error] Bash: npm test: ECONNREFUSED …`), stated findings (notes)
 * as part of the reply, and whether a failure was followed by the same kind
 * of call succeeding (the episode fixed what failed).
 */
export function readTrace(trace: readonly string[]): {
  errors: string[];
  notes: string[];
  recovered: boolean;
} {
  const errors: string[] = [];
  const notes: string[] = [];
  let failedTool: string | null = null;
  let recovered = false;
  for (const line of trace) {
    if (line.startsWith("(") && line.endsWith(")")) {
      notes.push(line.slice(1, -1));
      continue;
    }
    const tool = /^[^\s:]+/.exec(line)?.[0] ?? "";
    const err = TRACE_ERROR.exec(line);
    if (err) {
      errors.push(`[tool error] ${line.slice(0, err.index)}: ${line.slice(err.index + err[0].length)}`);
      failedTool = tool;
      recovered = false;
    } else if (failedTool !== null && tool === failedTool) {
      recovered = true;
    }
  }
  return { errors, notes, recovered };
}

/** Splits "User: ...\nAssistant: ..." into its two parts. Text without the labels counts as user text. */
export function splitTurnText(text: string): { user: string; assistant: string } {
  const body = text.replace(/^\s*User:[ \t]?/, "");
  const m = /(?:^|\n)Assistant:[ \t]?/.exec(body);
  if (!m) return { user: body.trim(), assistant: "" };
  return { user: body.slice(0, m.index).trim(), assistant: body.slice(m.index + m[0].length).trim() };
}

/** True when the reply ends in a tool call, so the next user message carries tool results. */
export function endsWithToolCall(assistant: string): boolean {
  const calls = [...assistant.matchAll(TOOL_CALL)];
  const last = calls.at(-1);
  if (!last || last.index === undefined) return false;
  // Anything substantial after the last call means the reply went on in prose.
  const after = assistant.slice(last.index + last[0].length).trim();
  return after.length < 40;
}

/** The reply without its summarised tool calls (`[tool_use NAME {...}]`). */
export function assistantProse(assistant: string): string {
  return assistant.replace(TOOL_CALL, "").trim();
}

/**
 * Builds a TurnRecord. `previousAssistant` is the reply of the turn before in
 * the same session (null when unknown or first): when it ended in a tool call,
 * this turn's user part is tool output. Results the capture marked
 * `[tool error]` are tool output too.
 */
export function toTurnRecord(m: ConversationMemoryLike, previousAssistant: string | null): TurnRecord {
  if (m.kind === "note") return noteRecord(m);
  const episode = splitEpisodeText(m.memory);
  if (episode) {
    // An episode keeps the person's words, the answer and the trace apart already.
    const { errors, notes, recovered } = readTrace(episode.trace);
    return {
      id: m.id,
      app_id: m.app_id,
      run_id: m.run_id,
      created_at: m.created_at,
      user: episode.user,
      tool_results: errors.join("\n"),
      assistant: [...notes, episode.assistant].filter((t) => t !== "").join("\n\n"),
      recovered: recovered && episode.assistant !== "",
      kind: "episode",
    };
  }
  const { user, assistant } = splitTurnText(m.memory);
  let words = user;
  let tool = "";
  if (previousAssistant !== null && endsWithToolCall(previousAssistant)) {
    tool = user;
    words = "";
  } else if (/^\[tool error\]/.test(user)) {
    tool = user;
    words = "";
  }
  return {
    id: m.id,
    app_id: m.app_id,
    run_id: m.run_id,
    created_at: m.created_at,
    user: words,
    tool_results: tool,
    assistant,
    kind: "turn",
  };
}

/**
 * Builds TurnRecords for turns given oldest first; consecutive turns of the
 * same session tell each other whether the user part is tool output.
 * `before` holds, per session, the reply of the turn just before the first one given.
 */
export function toTurnRecords(
  memories: readonly ConversationMemoryLike[],
  before: ReadonlyMap<string, string> = new Map(),
): TurnRecord[] {
  const lastReply = new Map<string, string>(before);
  return memories.map((m) => {
    const session = m.run_id ?? "";
    const prev = m.run_id === null ? null : (lastReply.get(session) ?? null);
    const rec = toTurnRecord(m, prev);
    if (m.run_id !== null) lastReply.set(session, rec.assistant);
    return rec;
  });
}

/** Oldest first, ties by id: the order extraction and the analyser read turns in. */
export function byTime<T extends { created_at: string; id: string }>(a: T, b: T): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

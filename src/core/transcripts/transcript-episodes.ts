/**
 * A transcript's history → its episodes, built by the same builder and the
 * same rules as live capture (`buildEpisode`, source "transcript"): each
 * message with the person's words starts one, and its last assistant
 * message is the reply that ends it, or not. Pure.
 *
 * When an episode is whole (docs/capture-rules.md, "Transcripts"):
 * - complete: its last message is an assistant message with an ending stop
 *   reason (a transcript written while streaming has none: then a message
 *   without tool calls ends it), and the file holds a line after it or has
 *   not changed for `settled` (the last blocks of a reply may still come);
 * - incomplete, "moved on": a later message of the person's follows and the
 *   episode did not end (the proxy marks it the same way);
 * - incomplete, "abandoned": the file is `idle` (unchanged for the idle time)
 *   and the last episode did not end;
 * - otherwise in progress: nothing is stored yet.
 */
import { numericUsage } from "../capture/reply.js";
import {
  abandonEpisode,
  addUsage,
  buildEpisode,
  ENDING_STOP_REASONS,
  type Episode,
  idleReason,
  isPersonMessage,
  MOVED_ON_REASON,
} from "../episodes/index.js";
import type { HistoryMessage } from "./transcript-history.js";

export type TranscriptEpisodeStatus = "complete" | "incomplete" | "in-progress";

export interface TranscriptEpisode {
  status: TranscriptEpisodeStatus;
  /** null only for an in-progress episode whose history holds no person's words yet. */
  episode: Episode | null;
  /** Byte offset and line of the message that starts the episode. */
  offset: number;
  line: number;
}

export interface TranscriptEpisodeOptions {
  userId: string;
  agentId: string;
  /** The session when entries name none (the file's name). */
  session: string | null;
  /** The project: the session's first `cwd` (Claude Code's primary working directory). */
  project: string | null;
  /** The file has not changed for the idle time: an unfinished last episode is abandoned. */
  idle: boolean;
  idleMs: number;
  /** The file has not changed for a few seconds: a reply at its very end is whole. */
  settled: boolean;
  /** The last line number read. */
  lastLine: number;
  /** The time used when an entry carries none (the file's modification time). */
  fallbackAt: string;
}

const validTime = (t: string | null | undefined): t is string => !!t && Number.isFinite(Date.parse(t));

const TOOL_CALLS = new Set(["tool_use", "server_tool_use", "mcp_tool_use"]);

function stopReason(m: HistoryMessage): string {
  if (m.stop_reason) return m.stop_reason;
  return m.content.some((b) => TOOL_CALLS.has(b.type)) ? "tool_use" : "end_turn";
}

function usageOf(span: readonly HistoryMessage[]): Record<string, number> | null {
  let sum: Record<string, number> | null = null;
  for (const m of span) if (m.role === "assistant") sum = addUsage(sum, numericUsage(m.usage));
  return sum;
}

/** The episodes of `history`, oldest first. */
export function transcriptEpisodes(
  history: readonly HistoryMessage[],
  options: TranscriptEpisodeOptions,
): TranscriptEpisode[] {
  const starts: number[] = [];
  for (const [i, m] of history.entries()) if (isPersonMessage(m)) starts.push(i);
  const out: TranscriptEpisode[] = [];
  for (const [n, p] of starts.entries()) {
    const q = starts[n + 1] ?? history.length;
    const first = history[p] as HistoryMessage;
    const movedOn = q < history.length;
    let a = -1;
    for (let i = q - 1; i > p; i--) {
      if (history[i]?.role === "assistant") {
        a = i;
        break;
      }
    }
    const reply = a === -1 ? null : (history[a] as HistoryMessage);
    const stop = reply ? stopReason(reply) : null;
    const session = first.sessionId ?? options.session;
    const episode = buildEpisode({
      messages: history.slice(p, a === -1 ? q : a),
      reply: reply
        ? { content: reply.content, stop_reason: stop, model: reply.model, complete: true, error: null }
        : null,
      userId: options.userId,
      agentId: options.agentId,
      project: options.project ?? first.cwd,
      session,
      client: first.version ? `claude-cli/${first.version}` : null,
      source: "transcript",
      startedAt: [first.firstAt, reply?.lastAt].find(validTime) ?? options.fallbackAt,
      endedAt: [reply?.lastAt, first.lastAt, first.firstAt].find(validTime) ?? options.fallbackAt,
      usage: usageOf(history.slice(p, q)),
    });
    const at = { offset: first.offset, line: first.line };
    if (!episode) continue;
    const ends = reply !== null && a === q - 1 && stop !== null && ENDING_STOP_REASONS.has(stop);
    if (ends && (movedOn || options.settled || reply.lastLine < options.lastLine)) {
      out.push({ status: "complete", episode, ...at });
    } else if (movedOn) {
      out.push({ status: "incomplete", episode: abandonEpisode(episode, MOVED_ON_REASON), ...at });
    } else if (options.idle) {
      const done = ends ? episode : abandonEpisode(episode, idleReason(options.idleMs));
      out.push({ status: done.complete ? "complete" : "incomplete", episode: done, ...at });
    } else {
      out.push({ status: "in-progress", episode, ...at });
    }
  }
  return out;
}

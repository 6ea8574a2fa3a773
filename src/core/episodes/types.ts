/**
 * An episode: one person's request and everything Claude did for it, up to
 * the reply that ends it. The unit of captured memory, built the same way
 * from proxy traffic and from Claude Code's transcripts. Types only.
 */
import type { ContentBlock } from "../capture/exchange.js";

/** A Messages API message as a request carries it (content as a string or blocks). */
export interface ApiMessage {
  role: string;
  content: unknown;
}

/** One line of an episode's trace. Never a tool result's body. */
export type TraceStep =
  | {
      kind: "tool";
      /** e.g. `Read`, `Bash`, `mcp__github__create_issue`. */
      tool: string;
      /** The line as shown: `Read src/a.ts`, `Bash: npm test`, `recalled: flaky build`. */
      line: string;
      /** First line of the error when the call failed. */
      error?: string | undefined;
    }
  | { kind: "note"; text: string }
  | { kind: "user"; text: string };

/** What the episode touched, for metadata and filters. */
export interface EpisodeFacts {
  files_read: string[];
  files_changed: string[];
  commands: string[];
  tools: string[];
}

export type EpisodeSource = "capture" | "transcript";

export interface Episode extends EpisodeFacts {
  /** sha256 of session, words and answer: the key both capture paths share (docs/capture-rules.md). */
  key: string;
  /** The key this episode had while incomplete; a stored incomplete version is replaced by this one. */
  incomplete_key: string;
  user_id: string;
  agent_id: string;
  /** The project (working directory). */
  app_id: string | null;
  /** The session. */
  run_id: string | null;
  /** The person's own words: harness text and reminders removed, redacted, bounded. */
  words: string;
  /** The final answer (assistant text of the ending reply), redacted, bounded; "" when none. */
  answer: string;
  steps: TraceStep[];
  /** API requests seen for this episode. */
  requests: number;
  usage: Record<string, number> | null;
  model: string | null;
  stop_reason: string | null;
  /** false when the episode never reached an ending reply. */
  complete: boolean;
  /** Why it is incomplete (interrupted, abandoned, error). */
  incomplete_reason: string | null;
  started_at: string;
  ended_at: string;
  client: string | null;
  source: EpisodeSource;
  /** Sub-agent delegations: their description and first line of result. */
  subagents: string[];
}

/** The ending (or latest) reply of an episode. */
export interface EpisodeReply {
  content: ContentBlock[];
  stop_reason: string | null;
  model: string | null;
  /** false when the reply was cut or errored. */
  complete: boolean;
  error?: string | null | undefined;
}

/** Stop reasons that end an episode; `tool_use` and `pause_turn` continue it. */
export const ENDING_STOP_REASONS: ReadonlySet<string> = new Set([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "refusal",
  "model_context_window_exceeded",
]);

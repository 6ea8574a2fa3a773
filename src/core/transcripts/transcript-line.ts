/**
 * One line of a Claude Code transcript (`~/.claude/projects/<slug>/<session>.jsonl`)
 * → the fields the episode reader needs, or why the line was not read.
 * Pure; never throws.
 */
import { isObject } from "../capture/message-accumulator.js";

/** An entry that carries a message or links the chain (`uuid` / `parentUuid`). */
export interface TranscriptEntry {
  type: string;
  uuid: string | null;
  parentUuid: string | null;
  /** A compaction boundary's link to what came before it (its `parentUuid` is null). */
  logicalParentUuid: string | null;
  isSidechain: boolean;
  /** Harness text (`isMeta`, compaction summaries, API-error placeholders): never the person's or Claude's words. */
  harness: boolean;
  sessionId: string | null;
  cwd: string | null;
  version: string | null;
  timestamp: string | null;
  /** `user` and `assistant` entries: the Messages API message. */
  message: TranscriptMessage | null;
  /** 1-based line number in the file and byte offset where the line starts. */
  line: number;
  offset: number;
}

export interface TranscriptMessage {
  role: "user" | "assistant";
  /** `message.id` of an assistant message (Claude Code writes one entry per content block). */
  id: string | null;
  content: unknown;
  model: string | null;
  stop_reason: string | null;
  usage: Record<string, unknown> | null;
}

export type LineResult =
  | { kind: "entry"; entry: TranscriptEntry }
  /** A known entry kind that carries nothing for memory (queue operations, titles, snapshots). */
  | { kind: "ignored" }
  | { kind: "problem"; reason: string; entry?: TranscriptEntry };

/** Entry types Claude Code writes that hold no conversation: read and passed over. */
const IGNORED_TYPES = new Set([
  "summary",
  "queue-operation",
  "last-prompt",
  "mode",
  "file-history-snapshot",
  "custom-title",
  "ai-title",
  "agent-name",
  "agent-setting",
  "tag",
  "pr-link",
  "worktree-state",
  "permission-mode",
]);

/** Types that are links of the chain but not messages. */
const CHAIN_TYPES = new Set(["system", "attachment", "progress"]);

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function messageOf(type: "user" | "assistant", raw: unknown): TranscriptMessage | null {
  if (!isObject(raw)) return null;
  const content = raw.content;
  if (typeof content !== "string" && !Array.isArray(content)) return null;
  return {
    role: type,
    id: str(raw.id),
    content,
    model: str(raw.model),
    stop_reason: str(raw.stop_reason),
    usage: isObject(raw.usage) ? raw.usage : null,
  };
}

function entryOf(
  record: Record<string, unknown>,
  type: string,
  line: number,
  offset: number,
): TranscriptEntry {
  return {
    type,
    uuid: str(record.uuid),
    parentUuid: str(record.parentUuid),
    logicalParentUuid: str(record.logicalParentUuid),
    isSidechain: record.isSidechain === true,
    harness: record.isMeta === true || record.isCompactSummary === true || record.isApiErrorMessage === true,
    sessionId: str(record.sessionId),
    cwd: str(record.cwd),
    version: str(record.version),
    timestamp: str(record.timestamp),
    message: null,
    line,
    offset,
  };
}

/** Reads one line (without its line ending). Blank lines are ignored. */
export function parseTranscriptLine(text: string, line: number, offset: number): LineResult {
  if (text.trim() === "") return { kind: "ignored" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "problem", reason: "not valid JSON" };
  }
  if (!isObject(value)) return { kind: "problem", reason: "not a JSON object" };
  const type = typeof value.type === "string" ? value.type : "";
  if (type === "user" || type === "assistant") {
    const entry = entryOf(value, type, line, offset);
    entry.message = messageOf(type, value.message);
    if (!entry.message) return { kind: "problem", reason: `${type} entry without a message`, entry };
    // Claude Code writes API errors as assistant entries of the model "<synthetic>": never a reply.
    if (type === "assistant" && entry.message.model === "<synthetic>") entry.harness = true;
    return { kind: "entry", entry };
  }
  if (CHAIN_TYPES.has(type)) return { kind: "entry", entry: entryOf(value, type, line, offset) };
  if (IGNORED_TYPES.has(type)) return { kind: "ignored" };
  const shown = type === "" ? "no type" : `unknown entry type "${type.slice(0, 40)}"`;
  // Still a link of the chain when it has a uuid, so what follows it is not cut off.
  const entry = str(value.uuid) ? entryOf(value, type, line, offset) : undefined;
  return entry ? { kind: "problem", reason: shown, entry } : { kind: "problem", reason: shown };
}

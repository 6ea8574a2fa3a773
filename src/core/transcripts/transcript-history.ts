/**
 * A transcript's entries → the conversation as Claude Code shows it and as
 * its requests carry it: the chain from the latest entry back through
 * `parentUuid` (a compaction boundary's `logicalParentUuid` too), so
 * branches left by an edit or a rewind are not read; assistant entries of
 * one `message.id` merged back into one message (Claude Code writes one
 * entry per content block); consecutive user entries merged into one user
 * message (the API takes them so); harness entries (meta, attachments,
 * compaction summaries, API-error placeholders) and sidechains left out.
 * Pure.
 */
import type { ContentBlock } from "../capture/exchange.js";
import { isObject } from "../capture/message-accumulator.js";
import type { TranscriptEntry } from "./transcript-line.js";

/** One message of the history, with where and when it was written. */
export interface HistoryMessage {
  role: "user" | "assistant";
  content: ContentBlock[];
  /** Assistant: `message.id`, stop reason, model, usage (of the whole message). */
  id: string | null;
  stop_reason: string | null;
  model: string | null;
  usage: Record<string, unknown> | null;
  /** Byte offset and line of the message's first entry; line of its last entry. */
  offset: number;
  line: number;
  lastLine: number;
  firstAt: string | null;
  lastAt: string | null;
  sessionId: string | null;
  cwd: string | null;
  version: string | null;
}

/** The chain that ends at the latest entry, oldest first. */
export function activeChain(entries: readonly TranscriptEntry[]): TranscriptEntry[] {
  const byUuid = new Map<string, TranscriptEntry>();
  const index = new Map<TranscriptEntry, number>();
  let leaf: TranscriptEntry | null = null;
  for (const [i, e] of entries.entries()) {
    index.set(e, i);
    if (!e.uuid || e.isSidechain) continue;
    byUuid.set(e.uuid, e);
    leaf = e;
  }
  const chain: TranscriptEntry[] = [];
  const seen = new Set<TranscriptEntry>();
  let at: TranscriptEntry | null = leaf;
  while (at && !seen.has(at)) {
    seen.add(at);
    chain.push(at);
    const parent = at.parentUuid ?? at.logicalParentUuid;
    const next = parent ? byUuid.get(parent) : undefined;
    if (next) {
      at = next;
      continue;
    }
    // The link is missing (a line that could not be read, an older root in the same
    // file): go on with the latest earlier entry, so nothing before it is lost.
    at = null;
    for (let i = (index.get(chain[chain.length - 1] as TranscriptEntry) ?? 0) - 1; i >= 0; i--) {
      const e = entries[i] as TranscriptEntry;
      if (e.uuid && !e.isSidechain && !seen.has(e)) {
        at = e;
        break;
      }
    }
  }
  return chain.reverse();
}

function blocksOf(content: unknown): ContentBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is ContentBlock => isObject(b) && typeof b.type === "string");
}

/** The chain as Messages API messages. */
export function historyOf(chain: readonly TranscriptEntry[]): HistoryMessage[] {
  const out: HistoryMessage[] = [];
  // Assistant messages by id since the last user message with words: a message's
  // blocks can be written around the tool results of its first blocks.
  const open = new Map<string, HistoryMessage>();
  for (const e of chain) {
    const m = e.message;
    if (!m || e.harness || e.isSidechain) continue;
    const blocks = blocksOf(m.content);
    const last = out[out.length - 1];
    if (m.role === "assistant") {
      const same = m.id ? open.get(m.id) : undefined;
      if (same) {
        same.content.push(...blocks);
        same.stop_reason = m.stop_reason ?? same.stop_reason;
        same.usage = m.usage ?? same.usage;
        same.lastLine = e.line;
        same.lastAt = e.timestamp ?? same.lastAt;
        continue;
      }
    } else if (last?.role === "user") {
      last.content.push(...blocks);
      last.lastLine = e.line;
      last.lastAt = e.timestamp ?? last.lastAt;
      continue;
    }
    const msg: HistoryMessage = {
      role: m.role,
      content: blocks,
      id: m.id,
      stop_reason: m.stop_reason,
      model: m.model,
      usage: m.usage,
      offset: e.offset,
      line: e.line,
      lastLine: e.line,
      firstAt: e.timestamp,
      lastAt: e.timestamp,
      sessionId: e.sessionId,
      cwd: e.cwd,
      version: e.version,
    };
    if (m.role === "user" && !blocks.some((b) => b.type === "tool_result")) open.clear();
    if (m.role === "assistant" && m.id) open.set(m.id, msg);
    out.push(msg);
  }
  return out;
}

import type { HistoryEvent, Memory, ScoredMemory } from "../core/types.js";
import { type Marks, markMatches, snippet } from "./snippet.js";

/** One line of a memory, for lists on a terminal. */
function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface LineOptions {
  /** The search query: the line shows the text around its words. */
  query?: string | undefined;
  /** The whole text, on the lines below the header, instead of a snippet. */
  full?: boolean | undefined;
  /** How to mark matched words (on a terminal). */
  marks?: Marks | undefined;
}

/** One memory for a list: id, time, score, a snippet (or with `full`, the whole text), project and session. */
export function renderMemoryLine(m: Memory | ScoredMemory, options: LineOptions = {}): string {
  const score = "score" in m ? ` ${m.score.toFixed(3)}` : "";
  const where = [m.app_id, m.run_id].filter(Boolean).join(" · ");
  const head = `${m.id}  ${m.created_at.slice(0, 19).replace("T", " ")}${score}`;
  const tail = where ? `  [${where}]` : "";
  if (options.full) {
    const text = markMatches(m.memory.trim(), options.query ?? null, options.marks);
    return `${head}${tail}\n${text.replace(/^/gm, "    ")}`;
  }
  return `${head}  ${snippet(m.memory, options.query ?? null, 100, options.marks)}${tail}`;
}

export function renderMemory(m: Memory): string {
  const lines = [
    `id:         ${m.id}`,
    `user:       ${m.user_id}`,
    `agent:      ${m.agent_id ?? "-"}`,
    `project:    ${m.app_id ?? "-"}`,
    `session:    ${m.run_id ?? "-"}`,
    `categories: ${m.categories.length > 0 ? m.categories.join(", ") : "-"}`,
    `created:    ${m.created_at}`,
    `updated:    ${m.updated_at}`,
    `metadata:   ${JSON.stringify(m.metadata)}`,
    "",
    m.memory,
  ];
  return lines.join("\n");
}

export function renderHistory(events: HistoryEvent[]): string {
  if (events.length === 0) return "no history";
  return events
    .map((e) => {
      const change =
        e.event === "UPDATE"
          ? `${oneLine(e.old_memory ?? "", 60)} → ${oneLine(e.new_memory ?? "", 60)}`
          : oneLine(e.new_memory ?? e.old_memory ?? "", 100);
      return `${e.created_at}  ${e.event.padEnd(6)}  ${change}`;
    })
    .join("\n");
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

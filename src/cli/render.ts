import type { HistoryEvent, Memory, ScoredMemory } from "../core/types.js";

/** One line of a memory, for lists on a terminal. */
function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function renderMemoryLine(m: Memory | ScoredMemory): string {
  const score = "score" in m ? ` ${m.score.toFixed(3)}` : "";
  const where = [m.app_id, m.run_id].filter(Boolean).join(" · ");
  return `${m.id}  ${m.created_at.slice(0, 19).replace("T", " ")}${score}  ${oneLine(m.memory)}${where ? `  [${where}]` : ""}`;
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

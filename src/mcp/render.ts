import type { HistoryEventOutput, MemoryOutput, SearchHitOutput } from "./schemas.js";

/** Readable renderings of memories: one text block per tool result, Markdown for resources. */

function day(iso: string): string {
  return iso.slice(0, 10);
}

function details(m: MemoryOutput): string {
  const parts = [`id: ${m.id}`];
  if (m.app_id) parts.push(`project: ${m.app_id}`);
  if (m.categories.length > 0) parts.push(`categories: ${m.categories.join(", ")}`);
  parts.push(`created: ${day(m.created_at)}`);
  if (m.updated_at !== m.created_at) parts.push(`updated: ${day(m.updated_at)}`);
  return parts.join(" · ");
}

/** Indents continuation lines so multi-line memories stay inside their list item. */
function indented(text: string, pad: string): string {
  return text.replace(/\n/g, `\n${pad}`);
}

export function renderMemoryList(memories: MemoryOutput[]): string {
  return memories.map((m, i) => `${i + 1}. ${indented(m.memory, "   ")}\n   ${details(m)}`).join("\n");
}

/** Search hits, compactly: text, then id · project · session · date (· incomplete). */
export function renderSearchHits(hits: SearchHitOutput[]): string {
  return hits
    .map((h, i) => {
      const parts = [`id ${h.id}`, day(h.created_at)];
      if (h.project) parts.push(h.project);
      if (h.session) parts.push(`session ${h.session.slice(0, 8)}`);
      if (h.metadata.complete === false) parts.push("incomplete");
      if (h.truncated) parts.push("cut: get_memory for all");
      return `${i + 1}. (${h.score.toFixed(2)}) ${indented(h.memory, "   ")}\n   ${parts.join(" · ")}`;
    })
    .join("\n");
}

export function renderMemory(m: MemoryOutput): string {
  const lines = [m.memory, "", details(m), `user: ${m.user_id}`];
  if (m.agent_id) lines.push(`agent: ${m.agent_id}`);
  if (m.run_id) lines.push(`session: ${m.run_id}`);
  if (Object.keys(m.metadata).length > 0) lines.push(`metadata: ${JSON.stringify(m.metadata)}`);
  return lines.join("\n");
}

export function renderHistory(events: HistoryEventOutput[]): string {
  return events
    .map((e) => {
      const when = e.created_at.replace("T", " ").slice(0, 19);
      if (e.event === "ADD") return `${when} ADD: ${e.new_memory ?? ""}`;
      if (e.event === "DELETE") return `${when} DELETE (was: ${e.old_memory ?? ""})`;
      return `${when} UPDATE: ${e.old_memory ?? ""} → ${e.new_memory ?? ""}`;
    })
    .join("\n");
}

/** A Markdown document for resources. */
export function markdownMemoryList(title: string, memories: MemoryOutput[], footer?: string): string {
  const out = [`# ${title}`, ""];
  if (memories.length === 0) out.push("_No memories._");
  for (const m of memories) {
    out.push(`- ${indented(m.memory, "  ")}`);
    out.push(`  <sub>${details(m)} · memory://memory/${encodeURIComponent(m.id)}</sub>`);
  }
  if (footer) out.push("", footer);
  return `${out.join("\n")}\n`;
}

export function markdownMemory(m: MemoryOutput, history: HistoryEventOutput[]): string {
  const out = [`# Memory ${m.id}`, "", m.memory, "", "| field | value |", "|---|---|"];
  const row = (k: string, v: string | null) => {
    if (v) out.push(`| ${k} | ${v.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  };
  row("user", m.user_id);
  row("agent", m.agent_id);
  row("project", m.app_id);
  row("session", m.run_id);
  row("categories", m.categories.join(", "));
  row("created", m.created_at);
  row("updated", m.updated_at);
  if (Object.keys(m.metadata).length > 0) row("metadata", JSON.stringify(m.metadata));
  if (history.length > 0) out.push("", "## History", "", "```", renderHistory(history), "```");
  return `${out.join("\n")}\n`;
}

/**
 * Plain-text (Markdown) renderings of an analysis and of suggestions, for the
 * CLI, the MCP tools and the stored reflection.
 */
import { projectName } from "./extract-candidates.js";
import type { Analysis, Insight, InsightKind, Suggestion } from "./types.js";

const SECTIONS: { kind: InsightKind; heading: string }[] = [
  { kind: "topic", heading: "Main topics (weighted against your whole history)" },
  { kind: "topic_shift", heading: "How the focus shifted" },
  { kind: "recurring_problem", heading: "Recurring problems" },
  { kind: "preference", heading: "Stated preferences" },
  { kind: "decision", heading: "Decisions" },
  { kind: "unfinished_work", heading: "Unfinished work" },
  { kind: "project_activity", heading: "Activity per project" },
];

/** At most this many ids are printed per line; the data carries them all. */
const IDS_SHOWN = 3;

function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, IDS_SHOWN).join(", ");
  return ids.length > IDS_SHOWN ? `${shown} +${ids.length - IDS_SHOWN} more` : shown;
}

function insightLine(i: Insight): string {
  return `- ${i.title} — ${i.description} (confidence ${i.confidence.toFixed(2)}; memories: ${idList(i.memory_ids)})`;
}

export function scopeLabel(userId: string, appId: string | null): string {
  return appId ? `user ${userId}, project ${projectName(appId) ?? appId}` : `user ${userId}, all projects`;
}

export function renderAnalysis(a: Analysis): string {
  const w = a.window;
  const span = w.from && w.to ? ` from ${w.from.slice(0, 10)} to ${w.to.slice(0, 10)}` : "";
  const lines = [
    `Analysis of the ${w.turns} most recent turns${span} (${scopeLabel(w.user_id, w.app_id)}), weighed against ${w.history_turns} turns of history. Source: ${a.source}.`,
  ];
  for (const s of SECTIONS) {
    const items = a.insights.filter((i) => i.kind === s.kind);
    if (items.length === 0) continue;
    lines.push("", `${s.heading}:`, ...items.map(insightLine));
  }
  if (a.insights.length === 0) lines.push("", "Nothing stood out yet: too few turns for patterns.");
  return lines.join("\n");
}

export function renderSuggestions(
  userId: string,
  appId: string | null,
  suggestions: readonly Suggestion[],
): string {
  if (suggestions.length === 0) {
    return `No suggestions for ${scopeLabel(userId, appId)}: no open work, recurring errors, contradictions or repeated preferences on record.`;
  }
  const lines = [`Suggested next actions (${scopeLabel(userId, appId)}):`];
  suggestions.forEach((s, n) => {
    lines.push(`${n + 1}. ${s.action}`, `   Why: ${s.reason} (memories: ${idList(s.memory_ids)})`);
  });
  return lines.join("\n");
}

export function renderEmpty(userId: string, appId: string | null): string {
  return `No memories yet for ${scopeLabel(userId, appId)}: there is nothing to analyse. Conversations captured by the proxy (or memories added with \`mcp-mitm-mem0 add\`) will show up here.`;
}

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

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 captured episodes, 8 notes (added or imported)": what was read, by kind. */
export function describeKinds(k: { episode: number; turn: number; note: number }): string {
  const parts: string[] = [];
  if (k.episode > 0) parts.push(plural(k.episode, "captured episode"));
  if (k.turn > 0) parts.push(plural(k.turn, "captured turn"));
  if (k.note > 0) parts.push(`${plural(k.note, "note")} (added or imported)`);
  return parts.length > 0 ? parts.join(", ") : "no memories";
}

export function renderAnalysis(a: Analysis): string {
  const w = a.window;
  const span = w.from && w.to ? ` from ${w.from.slice(0, 10)} to ${w.to.slice(0, 10)}` : "";
  const total = w.kinds.episode + w.kinds.turn + w.kinds.note;
  const lines = [
    `Analysis of the ${plural(total, "most recent memory", "most recent memories")}${span} (${scopeLabel(w.user_id, w.app_id)}): ${describeKinds(w.kinds)}; ${plural(w.derived, "typed memory", "typed memories")} derived from them; weighed against ${plural(w.history_turns, "memory", "memories")} of history. Source: ${a.source}.`,
  ];
  for (const s of SECTIONS) {
    const items = a.insights.filter((i) => i.kind === s.kind);
    if (items.length === 0) continue;
    lines.push("", `${s.heading}:`, ...items.map(insightLine));
  }
  if (a.insights.length === 0) lines.push("", "Nothing stood out yet: too few memories for patterns.");
  return lines.join("\n");
}

export function renderSuggestions(
  userId: string,
  appId: string | null,
  suggestions: readonly Suggestion[],
  lookedAt?: { kinds: { episode: number; turn: number; note: number }; derived: number },
): string {
  const basis = lookedAt
    ? ` Looked at ${describeKinds(lookedAt.kinds)} and ${plural(lookedAt.derived, "typed memory", "typed memories")} derived from them.`
    : "";
  if (suggestions.length === 0) {
    return `No suggestions for ${scopeLabel(userId, appId)}: no open work, recurring errors, contradictions or repeated preferences on record.${basis}`;
  }
  const lines = [`Suggested next actions (${scopeLabel(userId, appId)}):${basis}`];
  suggestions.forEach((s, n) => {
    lines.push(`${n + 1}. ${s.action}`, `   Why: ${s.reason} (memories: ${idList(s.memory_ids)})`);
  });
  return lines.join("\n");
}

export function renderEmpty(userId: string, appId: string | null): string {
  return `No memories yet for ${scopeLabel(userId, appId)}: there is nothing to analyse. Conversations captured by the proxy, memories added with \`mcp-mitm-mem0 add\` or \`add_memory\`, and imported ones will show up here.`;
}

import type { Memory, MemoryFilters, Metadata } from "../core/types.js";

/**
 * What a memory is, read from its metadata: a captured episode (or an older
 * per-request capture), an insight (extracted by the insights service, or a
 * reflection), or something added by hand (CLI, MCP add_memory). Pure.
 */
export const SOURCES = ["episode", "hand", "insight"] as const;
export type SourceKind = (typeof SOURCES)[number];

export const SOURCE_LABELS: Record<SourceKind, string> = {
  episode: "captured episode",
  hand: "added by hand",
  insight: "extracted insight",
};

const CAPTURE_SOURCES = new Set(["capture", "transcript", "proxy"]);

export function sourceKind(m: Pick<Memory, "metadata" | "categories">): SourceKind {
  const meta = m.metadata ?? {};
  if (meta.kind === "episode" || CAPTURE_SOURCES.has(String(meta.source))) return "episode";
  if (meta.source === "insights" || m.categories.includes("reflection")) return "insight";
  return "hand";
}

/**
 * The store filter that narrows a source as far as the store can (equality on
 * metadata, categories); `sourceKind` decides the rest.
 */
export function sourceStoreFilter(kind: SourceKind | null): Partial<MemoryFilters> {
  // Reflections (category "reflection") are shown on the insights page.
  if (kind === "insight") return { metadata: { source: "insights" } };
  if (kind === "episode") return { categories: ["conversation"] };
  return {};
}

const REF_KEYS = ["source_id", "source_ids", "memory_ids", "evidence_ids", "resolved_by"] as const;

function collect(value: unknown, out: Set<string>): void {
  if (typeof value === "string" && value.length > 0) out.add(value);
  else if (Array.isArray(value)) for (const v of value) if (typeof v === "string" && v.length > 0) out.add(v);
}

/** The ids a memory says it was derived from (insights cite their evidence in metadata). */
export function derivedFromIds(metadata: Metadata, selfId?: string): string[] {
  const out = new Set<string>();
  for (const key of REF_KEYS) collect(metadata[key], out);
  const insights = metadata.insights;
  if (Array.isArray(insights)) {
    for (const i of insights) if (i && typeof i === "object") collect((i as Metadata).memory_ids, out);
  }
  if (selfId) out.delete(selfId);
  return [...out];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** An episode's parts: the person's words, the answer and the trace lines. */
export interface EpisodeView {
  words: string;
  answer: string;
  trace: string[];
  files_read: string[];
  files_changed: string[];
  commands: string[];
  tools: string[];
  complete: boolean | null;
  incomplete_reason: string | null;
}

/**
 * Splits "User: …\nAssistant: …\nTrace:\n- …" into its parts. Older
 * per-request memories have no Trace (and no file lists): those parts are empty.
 */
export function episodeView(m: Pick<Memory, "memory" | "metadata">): EpisodeView {
  const text = m.memory;
  const traceAt = text.search(/\nTrace:\n/);
  const head = traceAt === -1 ? text : text.slice(0, traceAt);
  const trace =
    traceAt === -1
      ? []
      : text
          .slice(traceAt + "\nTrace:\n".length)
          .split("\n")
          .map((l) => l.replace(/^- /, "").trimEnd())
          .filter((l) => l.length > 0);
  const assistantAt = head.search(/(^|\n)Assistant: /);
  const userPart = assistantAt === -1 ? head : head.slice(0, assistantAt);
  const answerPart = assistantAt === -1 ? "" : head.slice(assistantAt).replace(/^\n?Assistant: /, "");
  const meta = m.metadata ?? {};
  return {
    words: userPart.replace(/^User: /, "").trim(),
    answer: answerPart.trim(),
    trace,
    files_read: strings(meta.files_read),
    files_changed: strings(meta.files_changed),
    commands: strings(meta.commands),
    tools: strings(meta.tools),
    complete: typeof meta.complete === "boolean" ? meta.complete : null,
    incomplete_reason: typeof meta.incomplete_reason === "string" ? meta.incomplete_reason : null,
  };
}

/** The last path segment of a project directory, for display. */
export function projectLabel(appId: string | null): string {
  if (!appId) return "(no project)";
  const parts = appId.split(/[\\/]/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? appId;
}

import { InvalidInputError } from "../core/errors.js";
import type { Memory, MemoryFilters, ScoredMemory } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import { SOURCES, type SourceKind, sourceKind, sourceStoreFilter } from "./memory-facts.js";

/** What the search page asks for, read from its query string. */
export interface SearchRequest {
  q: string;
  project: string | null;
  session: string | null;
  category: string | null;
  source: SourceKind | null;
  /** YYYY-MM-DD, inclusive. */
  from: string | null;
  /** YYYY-MM-DD, inclusive. */
  to: string | null;
  sort: "relevance" | "newest";
  /** A list cursor (no query) or an offset into ranked results (with a query). */
  cursor: string | null;
}

export const PAGE_SIZE = 25;
/** With a query, results ranked by the store; "newest" re-sorts this many. */
export const RANKED_MAX = 200;
/** Filtering by "added by hand" reads at most this many store pages per page shown. */
const SCAN_PAGES = 8;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function text(v: string | undefined, max = 2000): string | null {
  const t = (v ?? "").trim();
  return t === "" ? null : t.slice(0, max);
}

function day(v: string | undefined, name: string): string | null {
  const t = text(v);
  if (t === null) return null;
  if (!DAY.test(t) || Number.isNaN(Date.parse(`${t}T00:00:00Z`)))
    throw new InvalidInputError(`${name} must be a date like 2025-01-31`);
  return t;
}

export function parseSearch(params: Record<string, string | undefined>): SearchRequest {
  const source = text(params.source);
  if (source !== null && !(SOURCES as readonly string[]).includes(source))
    throw new InvalidInputError(`source must be one of ${SOURCES.join(", ")}`);
  const sort = text(params.sort);
  if (sort !== null && sort !== "relevance" && sort !== "newest")
    throw new InvalidInputError("sort must be relevance or newest");
  const from = day(params.from, "from");
  const to = day(params.to, "to");
  if (from && to && from > to) throw new InvalidInputError("from must not be after to");
  return {
    q: (params.q ?? "").slice(0, 2000),
    project: text(params.project),
    session: text(params.session),
    category: text(params.category, 200),
    source: source as SourceKind | null,
    from,
    to,
    sort: sort === "newest" ? "newest" : "relevance",
    cursor: text(params.cursor, 4000),
  };
}

/** The request as query-string pairs (for links), without empty values. */
export function searchParams(r: SearchRequest, extra: Partial<Record<string, string>> = {}): URLSearchParams {
  const p = new URLSearchParams();
  const add = (k: string, v: string | null | undefined) => {
    if (v) p.set(k, v);
  };
  add("q", r.q.trim());
  add("project", r.project);
  add("session", r.session);
  add("category", r.category);
  add("source", r.source);
  add("from", r.from);
  add("to", r.to);
  if (r.sort !== "relevance") add("sort", r.sort);
  for (const [k, v] of Object.entries(extra)) add(k, v);
  return p;
}

export function storeFilters(userId: string, r: SearchRequest): MemoryFilters {
  const byKind = sourceStoreFilter(r.source);
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    user_id: userId,
    app_id: r.project ?? undefined,
    run_id: r.session ?? undefined,
    categories: r.category ? [r.category] : byKind.categories,
    metadata: byKind.metadata,
    created_after: r.from ? `${r.from}T00:00:00.000Z` : undefined,
    created_before: r.to ? nextDay(r.to) : undefined,
  };
}

export interface SearchPage {
  memories: (Memory | ScoredMemory)[];
  next_cursor: string | null;
  /** Store memories read to fill this page (a source filter may skip many). */
  scanned: number;
}

const byNewest = (a: Memory, b: Memory) =>
  a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0;

/**
 * One page of results. Without a query: the store's newest-first list with
 * its keyset cursor. With one: the store's ranked search (the top
 * RANKED_MAX), sorted by relevance or by time, paged by offset.
 */
export async function runSearch(store: MemoryStore, userId: string, r: SearchRequest): Promise<SearchPage> {
  const filters = storeFilters(userId, r);
  const keep = (m: Memory) => r.source === null || sourceKind(m) === r.source;
  if (r.q.trim() !== "") {
    const offset = r.cursor === null ? 0 : Number(r.cursor);
    if (!Number.isInteger(offset) || offset < 0 || offset > RANKED_MAX)
      throw new InvalidInputError("cursor is not valid");
    const want = r.sort === "newest" ? RANKED_MAX : Math.min(RANKED_MAX, offset + PAGE_SIZE + 1);
    const found = (await store.search(r.q, { filters, limit: want })).filter(keep);
    if (r.sort === "newest") found.sort(byNewest);
    const page = found.slice(offset, offset + PAGE_SIZE);
    const more = found.length > offset + PAGE_SIZE;
    return { memories: page, next_cursor: more ? String(offset + PAGE_SIZE) : null, scanned: found.length };
  }
  const out: Memory[] = [];
  let cursor = r.cursor ?? undefined;
  let scanned = 0;
  for (let i = 0; i < SCAN_PAGES; i++) {
    const limit = r.source === "hand" ? 200 : PAGE_SIZE;
    const page = await store.list({ filters, limit, cursor });
    scanned += page.memories.length;
    out.push(...page.memories.filter(keep));
    cursor = page.next_cursor ?? undefined;
    if (!cursor || out.length >= PAGE_SIZE) break;
  }
  return { memories: out, next_cursor: cursor ?? null, scanned };
}

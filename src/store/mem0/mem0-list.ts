import type { Logger } from "../../core/logger.js";
import type { Memory, MemoryPage } from "../../core/types.js";
import type { CheckedFilters } from "../validate-input.js";
import { MAX_PAGE_SIZE } from "./api-version.js";
import { toMem0Filters } from "./filters.js";
import type { Mem0HttpClient } from "./http-client.js";
import { resultsOf, toMemory } from "./normalise.js";
import { decodeCursor, encodeCursor } from "./page-cursor.js";

/**
 * Newest-first listing over Mem0's page-numbered list.
 *
 * Mem0 keeps created_at to the second when we set it (`timestamp` is Unix
 * seconds); the exact time rides along in metadata. So Mem0 can order by
 * second only: a page is extended until it holds every memory of its last
 * second, then ordered exactly here. Mem0 does not document the order of its
 * list either, so each answer is checked: when it is not newest first (by
 * second) the matching memories are read in full and sorted here.
 */

const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export class Mem0Lister {
  constructor(
    private readonly http: Mem0HttpClient,
    private readonly listPath: string,
    private readonly logger: Logger,
  ) {}

  /** One raw page: `{count, next, results}` envelope or a bare list. */
  async rawPage(filters: Record<string, unknown>, page: number, pageSize: number) {
    const body = await this.http.request({
      method: "POST",
      path: this.listPath,
      query: { page, page_size: pageSize },
      body: { filters },
      idempotent: true,
    });
    const items = resultsOf(body);
    const envelope =
      body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
    const hasNext = envelope && "next" in envelope ? Boolean(envelope.next) : items.length === pageSize;
    return { items, hasNext };
  }

  /** Every memory matching `filters`, newest first. */
  async all(filters: CheckedFilters): Promise<Memory[]> {
    return this.scan(toMem0Filters(filters), filters.user_id);
  }

  async list(filters: CheckedFilters, limit: number, cursor: string | undefined): Promise<MemoryPage> {
    const position = cursor === undefined ? null : decodeCursor(cursor);
    const seen = new Set(position?.seen ?? []);
    const tree = toMem0Filters(filters) as { AND: unknown[] };
    if (position) {
      // Everything up to the end of the second of the last memory returned.
      tree.AND.push({ created_at: { lt: new Date((second(position.before) + 1) * 1000).toISOString() } });
    }
    const size = Math.min(MAX_PAGE_SIZE, limit + seen.size + 1);
    const fetched: Memory[] = [];
    let hasNext = true;
    let complete = false;
    for (let page = 1; hasNext; page++) {
      const p = await this.rawPage(tree, page, size);
      for (const m of p.items.map((r) => toMemory(r, filters.user_id))) {
        if (!fetched.some((f) => f.id === m.id)) fetched.push(m);
      }
      hasNext = p.hasNext && p.items.length > 0;
      if (!bySecondNewestFirst(fetched)) {
        this.logger.debug("mem0 list is not newest first; reading the whole filtered set", {
          page_size: size,
        });
        fetched.splice(0, fetched.length, ...(await this.scan(tree, filters.user_id)));
        hasNext = false;
        break;
      }
      const fresh = newestFirst(fetched.filter((m) => !seen.has(m.id)));
      const boundary = fresh[limit - 1];
      // Enough memories, and the last second on the page is complete: stop.
      if (
        fresh.length > limit &&
        boundary &&
        second((fetched.at(-1) as Memory).created_at) < second(boundary.created_at)
      ) {
        break;
      }
    }
    if (!hasNext) complete = true;
    const fresh = newestFirst(fetched.filter((m) => m.user_id === filters.user_id && !seen.has(m.id)));
    const memories = fresh.slice(0, limit);
    const more = fresh.length > memories.length || !complete;
    const last = memories.at(-1);
    if (!more || !last) return { memories, next_cursor: null };
    const sameSecond = memories
      .filter((m) => second(m.created_at) === second(last.created_at))
      .map((m) => m.id);
    const carried = position && second(position.before) === second(last.created_at) ? position.seen : [];
    return {
      memories,
      next_cursor: encodeCursor({ before: last.created_at, seen: [...carried, ...sameSecond] }),
    };
  }

  private async scan(tree: Record<string, unknown>, userId: string): Promise<Memory[]> {
    const out: Memory[] = [];
    for (let page = 1; ; page++) {
      const p = await this.rawPage(tree, page, MAX_PAGE_SIZE);
      out.push(...p.items.map((r) => toMemory(r, userId)));
      if (!p.hasNext || p.items.length === 0) break;
    }
    return newestFirst(out.filter((m) => m.user_id === userId));
  }
}

function bySecondNewestFirst(memories: Memory[]): boolean {
  return memories.every(
    (m, i) => i === 0 || second((memories[i - 1] as Memory).created_at) >= second(m.created_at),
  );
}

/** Exact time, newest first; equal times keep Mem0's order. */
function newestFirst(memories: Memory[]): Memory[] {
  return memories
    .map((m, i) => ({ m, i }))
    .sort((a, b) => b.m.created_at.localeCompare(a.m.created_at) || a.i - b.i)
    .map(({ m }) => m);
}

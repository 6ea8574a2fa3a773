import type { HistoryEvent, StoreStats } from "../../core/types.js";
import { toMemory } from "./normalise.js";

/**
 * Mem0 has no statistics endpoint, so stats walk the paginated list (100 a
 * page) and ask each memory for its history, a few at a time. History of
 * memories that no longer exist cannot be listed on Mem0, so
 * `history_events` counts the events of the memories that still exist.
 */
export async function computeStats(
  fetchPage: (page: number) => Promise<{ items: unknown[]; hasNext: boolean }>,
  history: (id: string) => Promise<HistoryEvent[]>,
  concurrency = 4,
): Promise<StoreStats> {
  const perUser = new Map<string, number>();
  const ids: string[] = [];
  let oldest: string | null = null;
  let newest: string | null = null;
  for (let page = 1; ; page++) {
    const { items, hasNext } = await fetchPage(page);
    for (const item of items) {
      const m = toMemory(item);
      ids.push(m.id);
      perUser.set(m.user_id, (perUser.get(m.user_id) ?? 0) + 1);
      if (oldest === null || m.created_at < oldest) oldest = m.created_at;
      if (newest === null || m.created_at > newest) newest = m.created_at;
    }
    if (!hasNext || items.length === 0) break;
  }
  let historyEvents = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const events = await history(id);
      historyEvents += events.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  const byUser = [...perUser.entries()]
    .map(([user_id, memories]) => ({ user_id, memories }))
    .sort((a, b) => b.memories - a.memories || a.user_id.localeCompare(b.user_id))
    .slice(0, 20);
  return {
    backend: "mem0",
    memories: ids.length,
    users: perUser.size,
    history_events: historyEvents,
    oldest,
    newest,
    by_user: byUser,
  };
}

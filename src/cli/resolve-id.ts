/**
 * Memory ids where a command takes one: the full id, or a unique prefix of
 * it (as `list` and `search` print them), like git's short hashes. A prefix is
 * looked up among the memories of one user, page by page through the
 * MemoryStore interface, so it works the same on every backend.
 */
import { NotFoundError } from "../core/errors.js";
import type { MemoryStore } from "../store/memory-store.js";
import { UsageError } from "./errors.js";

const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MIN_PREFIX = 4;
const PAGE = 1000;

export async function resolveMemoryId(store: MemoryStore, id: string, userId: string): Promise<string> {
  const given = id.trim();
  if (FULL_UUID.test(given)) return given;
  if (await store.get(given)) return given; // a backend whose ids are not UUIDs
  if (given.length < MIN_PREFIX) {
    throw new UsageError(
      `"${given}" is too short for an id: give the id or at least ${MIN_PREFIX} of its first characters`,
    );
  }
  const prefix = given.toLowerCase();
  const matches: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ filters: { user_id: userId }, limit: PAGE, cursor });
    for (const m of page.memories) if (m.id.toLowerCase().startsWith(prefix)) matches.push(m.id);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const [only, ...more] = matches;
  if (only === undefined) {
    throw new NotFoundError(`memory of ${userId} with an id starting`, `"${given}"`);
  }
  if (more.length > 0) {
    const shown = matches.slice(0, 5).join(", ");
    throw new UsageError(
      `"${given}" starts ${matches.length} ids (${shown}${matches.length > 5 ? ", …" : ""}): give more characters`,
    );
  }
  return only;
}

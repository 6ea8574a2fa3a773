/**
 * The stored reflection: one memory of type `reflection` per scope (the
 * user, or the user in one project), replaced by each new analysis.
 */
import type { Memory, Metadata } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import { listNewest } from "./turn-reader.js";

export const REFLECTION_CATEGORY = "reflection";

/** `user` or `project:<app_id>`. */
export function scopeKey(appId: string | null): string {
  return appId === null ? "user" : `project:${appId}`;
}

export async function findReflections(
  store: MemoryStore,
  userId: string,
  appId: string | null,
): Promise<Memory[]> {
  return listNewest(
    store,
    {
      user_id: userId,
      categories: [REFLECTION_CATEGORY],
      metadata: { type: "reflection", scope: scopeKey(appId) },
    },
    50,
  );
}

/**
 * Writes the reflection of a scope: updates the previous one in place (its
 * history keeps the old text) and removes any extra copy a concurrent run left.
 */
export async function saveReflection(
  store: MemoryStore,
  opts: { user_id: string; agent_id: string; app_id: string | null; text: string; metadata: Metadata },
): Promise<Memory> {
  const metadata = { ...opts.metadata, type: "reflection", scope: scopeKey(opts.app_id) };
  const [current, ...extra] = await findReflections(store, opts.user_id, opts.app_id);
  let saved: Memory;
  if (current) {
    saved = await store.update(current.id, {
      memory: opts.text,
      metadata,
      categories: [REFLECTION_CATEGORY],
    });
  } else {
    const result = await store.add({
      user_id: opts.user_id,
      agent_id: opts.agent_id,
      app_id: opts.app_id ?? undefined,
      memory: opts.text,
      metadata,
      categories: [REFLECTION_CATEGORY],
    });
    if (!result.memory) throw new Error("the store did not return the reflection it stored");
    saved =
      result.status === "duplicate"
        ? await store.update(result.memory.id, { metadata, categories: [REFLECTION_CATEGORY] })
        : result.memory;
  }
  for (const m of extra) if (m.id !== saved.id) await store.delete(m.id);
  return saved;
}

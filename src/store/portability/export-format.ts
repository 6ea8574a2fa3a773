import type { Memory } from "../../core/types.js";
import type { MemoryStore } from "../memory-store.js";

/**
 * What `export` writes (and the web page's export download sends): a user's
 * memories, newest first, as JSONL (one memory a line) or one JSON document
 * `{"version":1,"user_id":...,"memories":[...]}`.
 */
export type ExportFormat = "jsonl" | "json";

export const EXPORT_PAGE = 1000;

/** Every memory of a user, newest first, a page at a time. */
export async function* allMemories(store: MemoryStore, user_id: string): AsyncGenerator<Memory> {
  let cursor: string | undefined;
  do {
    const page = await store.list({ filters: { user_id }, limit: EXPORT_PAGE, cursor });
    yield* page.memories;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/** The export document in pieces; `onMemory` counts what was written. */
export async function* exportChunks(
  store: MemoryStore,
  user_id: string,
  format: ExportFormat,
  onMemory: (n: number) => void = () => {},
): AsyncGenerator<string> {
  let n = 0;
  if (format === "json") yield `{"version":1,"user_id":${JSON.stringify(user_id)},"memories":[\n`;
  for await (const m of allMemories(store, user_id)) {
    const line = JSON.stringify(m);
    yield format === "json" ? `${n > 0 ? ",\n" : ""}${line}` : `${line}\n`;
    onMemory(++n);
  }
  if (format === "json") yield "\n]}\n";
}

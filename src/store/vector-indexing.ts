import type { MemoryStore } from "./memory-store.js";
import type { VectorIndexStatus } from "./sqlite/dense-index.js";

/** A store that keeps embeddings of its memories (the SQLite store with EMBEDDINGS_URL set). */
export interface VectorIndexedStore extends MemoryStore {
  vectorIndexStatus(): Promise<VectorIndexStatus | null>;
  backfillVectors(onProgress?: (done: number, total: number) => void): Promise<number>;
  startVectorIndexing(): void;
}

export function hasVectorIndex(store: MemoryStore): store is VectorIndexedStore {
  const s = store as Partial<VectorIndexedStore>;
  return typeof s.vectorIndexStatus === "function" && typeof s.startVectorIndexing === "function";
}

/** Long-running processes (proxy, MCP server) embed new memories in the background; a no-op without a model. */
export function startVectorIndexing(store: MemoryStore): void {
  if (hasVectorIndex(store)) store.startVectorIndexing();
}

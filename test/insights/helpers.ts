import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, validateConfig } from "../../src/core/config.js";
import type { DerivedRecord, DerivedType } from "../../src/core/insights/types.js";
import { readDerived } from "../../src/insights/derived-store.js";
import type { MemoryStore } from "../../src/store/memory-store.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";

export interface TempStore {
  dir: string;
  store: MemoryStore;
  config: Config;
  cleanup(): Promise<void>;
}

/** A real SQLite store in a fresh temp dir, and a config whose data dir is that dir. */
export function tempStore(env: Record<string, string> = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), "insights-test-"));
  const config = validateConfig({ MEMORY_DATA_DIR: dir, ...env }, dir);
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  return {
    dir,
    store,
    config,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function derivedOf(
  store: MemoryStore,
  userId: string,
  type: DerivedType,
): Promise<DerivedRecord[]> {
  return (await readDerived(store, userId)).filter((r) => r.meta.type === type);
}

/** Keys without the type (and project) prefix: what a person would read. */
export function statementOf(r: DerivedRecord): string {
  const parts = r.meta.insight_key.split(":");
  return r.meta.type === "decision" || r.meta.type === "todo"
    ? parts.slice(2).join(":")
    : parts.slice(1).join(":");
}

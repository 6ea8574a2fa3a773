import { randomUUID } from "node:crypto";
import type { MemoryStore } from "../../src/store/memory-store.js";

/** Makes a fresh store for one test and cleans it up afterwards. */
export type StoreFactory = () => Promise<{ store: MemoryStore; cleanup: () => Promise<void> }>;

/** A user id no other test uses, so a shared backend cannot leak data between tests. */
export function freshUser(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** `days` days after 2024-01-01, as ISO-8601. */
export function day(days: number): string {
  return new Date(Date.UTC(2024, 0, 1) + days * 86_400_000).toISOString();
}

/** Strings that break naive FTS queries; every backend must answer them with a list. */
export const HOSTILE_QUERIES: readonly string[] = [
  '"',
  "'",
  '"unbalanced quote',
  "AND",
  "OR NOT",
  "NOT",
  "NEAR(",
  "NEAR(a b, 2)",
  "*",
  "postgres*",
  "col:x",
  "memory:postgres",
  "^",
  "^start",
  "(((",
  ")))",
  "a AND (b OR",
  "- + ~ | & { } [ ] \\",
  "😀🔥🚀",
  "caf\u00e9 na\u0308ive",
  "",
  "   \t\n  ",
  "the and of to is",
  "nul\u0000byte\u0000query",
  "\u0000",
  "SELECT * FROM memories; DROP TABLE memories; --",
  "x".repeat(10_000),
];

/** 10 kB of random printable ASCII and some non-ASCII, deterministic per seed. */
export function randomText(bytes: number, seed = 42): string {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state;
  };
  const extra = ['"', "*", "^", ":", "(", ")", "é", "😀", "\u0000", "NEAR", " AND ", " OR "];
  let out = "";
  while (out.length < bytes) {
    const r = next() % 100;
    out += r < 8 ? extra[r % extra.length] : String.fromCharCode(32 + (next() % 95));
  }
  return out.slice(0, bytes);
}

export async function idsOf(store: MemoryStore, userId: string): Promise<string[]> {
  const page = await store.list({ filters: { user_id: userId }, limit: 1000 });
  return page.memories.map((m) => m.id);
}

/**
 * Where extraction got to, per user: a watermark (the newest turn time
 * processed) plus the ids processed in the last day before it, kept in a
 * small JSON file in the data directory and replaced atomically. Turns that
 * arrive late (an outbox replay stores a turn with its original time) are
 * still picked up within that day. Losing the file costs one full rescan,
 * never a duplicate: merging is idempotent by source id.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../files/atomic-write.js";

/** How far before the watermark turns are looked at again. */
export const LATE_ARRIVAL_MS = 24 * 60 * 60 * 1000;
export const STATE_FILE = "insights-state.json";

const userState = z.object({
  watermark: z.string().nullable(),
  /** id → created_at of turns processed within LATE_ARRIVAL_MS of the watermark. */
  recent: z.record(z.string(), z.string()),
});
const fileSchema = z.object({ version: z.literal(1), users: z.record(z.string(), userState) });

export type UserExtractionState = z.infer<typeof userState>;

export interface ExtractionStateStore {
  get(userId: string): UserExtractionState;
  set(userId: string, state: UserExtractionState): void;
}

export function statePath(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

/** The state file in `dataDir`. An unreadable or malformed file counts as empty (a rescan). */
export function fileStateStore(dataDir: string): ExtractionStateStore {
  const path = statePath(dataDir);
  const read = (): z.infer<typeof fileSchema> => {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
      if (parsed.success) return parsed.data;
    } catch {
      // Missing or unreadable: start over.
    }
    return { version: 1, users: {} };
  };
  return {
    get: (userId) => read().users[userId] ?? { watermark: null, recent: {} },
    set: (userId, state) => {
      const all = read();
      all.users[userId] = state;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileAtomic(path, JSON.stringify(all));
    },
  };
}

/** Where the next scan starts (created_after), or undefined for a full scan. */
export function scanStart(state: UserExtractionState): string | undefined {
  if (!state.watermark) return undefined;
  return new Date(Date.parse(state.watermark) - LATE_ARRIVAL_MS).toISOString();
}

/** The state after processing `done` (id → created_at). */
export function advance(state: UserExtractionState, done: ReadonlyMap<string, string>): UserExtractionState {
  let watermark = state.watermark;
  for (const at of done.values()) if (watermark === null || at > watermark) watermark = at;
  if (watermark === null) return state;
  const floor = new Date(Date.parse(watermark) - LATE_ARRIVAL_MS).toISOString();
  const recent: Record<string, string> = {};
  for (const [id, at] of [...Object.entries(state.recent), ...done]) if (at >= floor) recent[id] = at;
  return { watermark, recent };
}

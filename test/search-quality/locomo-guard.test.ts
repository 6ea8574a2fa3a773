/**
 * Guard against search-quality regressions: the LoCoMo benchmark
 * (bench/locomo.ts) on one development conversation, through the real SQLite
 * store. The data lives outside the repository (see defaultLocomoPath).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultLocomoPath, loadLocomo } from "../../bench/lib/locomo-data.js";
import { byCategory, evaluateConversation, summarise } from "../../bench/lib/locomo-eval.js";

const DATA = process.env.LOCOMO_DEV_PATH ?? defaultLocomoPath();
const CONVERSATION = "conv-30";
/**
 * conv-30 recall@5 reached by the search (npm run bench:locomo, per-conversation
 * table); it was 61.9 before session context and time signals.
 */
const REACHED_R5 = 72.8;
/** Recall@5 may fall at most this many points below REACHED_R5. */
const TOLERANCE = 2;

describe(`LoCoMo ${CONVERSATION} retrieval`, () => {
  const dir = mkdtempSync(join(tmpdir(), "locomo-guard-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps recall@5 within ${TOLERANCE} points of ${REACHED_R5}`, async () => {
    expect(existsSync(DATA), `LoCoMo data not found at ${DATA} (set LOCOMO_DEV_PATH)`).toBe(true);
    const conversation = loadLocomo(DATA).find((c) => c.id === CONVERSATION);
    expect(conversation, `${CONVERSATION} is not in ${DATA}`).toBeDefined();
    const result = await evaluateConversation(conversation!, { dir });
    const overall = summarise(result.questions);
    const table = JSON.stringify({ overall, by_category: byCategory(result.questions) });
    expect(overall.questions, table).toBe(105);
    expect(overall["r@5"], table).toBeGreaterThanOrEqual(REACHED_R5 - TOLERANCE);
    // Recall grows with k; the deeper cut-offs must hold up too.
    expect(overall["r@10"], table).toBeGreaterThanOrEqual(overall["r@5"]);
    expect(overall["r@25"], table).toBeGreaterThanOrEqual(overall["r@10"]);
  });
});

/**
 * Guard against search-quality regressions: the LoCoMo benchmark
 * (bench/locomo.ts) on one development conversation, through the real SQLite
 * store. The data lives outside the repository (its licence keeps it out, see
 * defaultLocomoPath): the guard runs wherever it is present, fails in CI
 * (CI=true) when it is missing, and elsewhere skips saying why.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultLocomoPath, loadLocomo, missingLocomoMessage } from "../../bench/lib/locomo-data.js";
import { byCategory, evaluateConversation, summarise } from "../../bench/lib/locomo-eval.js";

const DATA = process.env.LOCOMO_DEV_PATH ?? defaultLocomoPath();
const PRESENT = existsSync(DATA);
const IN_CI = process.env.CI === "true" || process.env.CI === "1";
const CONVERSATION = "conv-30";
/**
 * conv-30 recall@5 and @10 reached by the default (lexical with pseudo-relevance
 * feedback, offline) search (npm run bench:locomo, per-conversation table); they
 * were 61.9 / 71.2 before session context and time signals, and 72.8 / 83.8
 * before feedback (which gains on the five conversations overall, not on this one).
 */
const REACHED = { "r@5": 71.4, "r@10": 83.1 } as const;
/** Recall may fall at most this many points below REACHED. */
const TOLERANCE = 2;

if (!PRESENT && !IN_CI) {
  console.warn(`skipping the LoCoMo guard: ${missingLocomoMessage(DATA)}`);
}

describe(`LoCoMo ${CONVERSATION} retrieval`, () => {
  const dir = mkdtempSync(join(tmpdir(), "locomo-guard-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has its data in CI", { skip: PRESENT || !IN_CI }, () => {
    expect.fail(missingLocomoMessage(DATA));
  });

  it.skipIf(!PRESENT)(
    `keeps recall@5 and @10 within ${TOLERANCE} points of ${REACHED["r@5"]} / ${REACHED["r@10"]}`,
    async () => {
      const conversation = loadLocomo(DATA).find((c) => c.id === CONVERSATION);
      expect(conversation, `${CONVERSATION} is not in ${DATA}`).toBeDefined();
      const result = await evaluateConversation(conversation!, { dir });
      const overall = summarise(result.questions);
      const table = JSON.stringify({ overall, by_category: byCategory(result.questions) });
      expect(overall.questions, table).toBe(105);
      expect(overall["r@5"], table).toBeGreaterThanOrEqual(REACHED["r@5"] - TOLERANCE);
      expect(overall["r@10"], table).toBeGreaterThanOrEqual(REACHED["r@10"] - TOLERANCE);
      // Recall grows with k; the deepest cut-off must hold up too.
      expect(overall["r@25"], table).toBeGreaterThanOrEqual(overall["r@10"]);
    },
  );
});

/**
 * Extraction quality on labelled sentences (test/insights/fixtures/labelled-sentences.ts):
 * precision and recall per type, printed as a table and held above thresholds.
 * A memory counts as found only when it keeps the words it must and drags in none it must not.
 */
import { describe, expect, it } from "vitest";
import { extractCandidates } from "../../src/core/insights/extract-candidates.js";
import { phrasesOf } from "../../src/core/insights/key-phrases.js";
import type { Candidate, TurnRecord } from "../../src/core/insights/types.js";
import {
  type Expected,
  HELD_OUT,
  LABELLED,
  LABELLED_TOPICS,
  type LabelledSentence,
  type LabelledType,
} from "./fixtures/labelled-sentences.js";

type Tally = { tp: number; fp: number; fn: number; misses: string[] };
const TYPES: (LabelledType | "topic")[] = ["preference", "decision", "error", "todo", "topic"];

function turnOf(text: string, role: "user" | "assistant", n: number): TurnRecord {
  return {
    id: `s${n}`,
    app_id: "/home/dev/api",
    run_id: `run-${n}`,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    user: role === "user" ? text : "",
    tool_results: "",
    assistant: role === "assistant" ? text : "",
    kind: "episode",
  };
}

function fits(c: Candidate, e: Expected): boolean {
  const t = c.text.toLowerCase();
  return (
    c.type === e.type && e.must.every((w) => t.includes(w)) && !(e.mustNot ?? []).some((w) => t.includes(w))
  );
}

function score(set: readonly LabelledSentence[], withTopics: boolean): Map<string, Tally> {
  const tallies = new Map(
    TYPES.filter((t) => withTopics || t !== "topic").map((t) => [
      t,
      { tp: 0, fp: 0, fn: 0, misses: [] } as Tally,
    ]),
  );
  set.forEach((s, n) => {
    const found = extractCandidates(turnOf(s.text, s.role ?? "user", n)).filter((c) => c.type !== "solution");
    const used = new Set<Candidate>();
    for (const e of s.expect) {
      const tally = tallies.get(e.type)!;
      const hit = found.find((c) => !used.has(c) && fits(c, e));
      if (hit) {
        used.add(hit);
        tally.tp++;
      } else {
        tally.fn++;
        tally.misses.push(
          `missed ${e.type} in "${s.text}" (got ${JSON.stringify(found.map((c) => c.text))})`,
        );
      }
    }
    for (const c of found.filter((x) => !used.has(x))) {
      const tally = tallies.get(c.type as LabelledType)!;
      tally.fp++;
      tally.misses.push(`false ${c.type} "${c.text}" from "${s.text}"`);
    }
  });
  const topic = tallies.get("topic");
  if (!topic) return tallies;
  for (const t of LABELLED_TOPICS) {
    const phrases = phrasesOf(t.text);
    for (const p of t.topics) {
      if (phrases.has(p)) topic.tp++;
      else {
        topic.fn++;
        topic.misses.push(`missed topic "${p}" in "${t.text}"`);
      }
    }
    for (const p of t.not) {
      if (phrases.has(p)) {
        topic.fp++;
        topic.misses.push(`false topic "${p}" in "${t.text}"`);
      }
    }
  }
  return tallies;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

/** Minimum precision and recall per type: on the set the rules were tuned on, and on the held-out set. */
const THRESHOLDS: Record<string, { precision: number; recall: number }> = {
  preference: { precision: 0.9, recall: 0.85 },
  decision: { precision: 0.9, recall: 0.85 },
  error: { precision: 0.9, recall: 0.95 },
  todo: { precision: 0.9, recall: 0.85 },
  topic: { precision: 0.9, recall: 0.9 },
};
/** Small (13 labelled memories), so lower bars: one miss moves a type by 0.25 to 0.5. */
const HELD_OUT_THRESHOLDS: Record<string, { precision: number; recall: number }> = {
  preference: { precision: 0.9, recall: 0.9 },
  decision: { precision: 0.9, recall: 0.9 },
  error: { precision: 0.9, recall: 0.9 },
  todo: { precision: 0.7, recall: 0.7 },
};

/** The table `npm run bench:insights`-style: one row per type. */
function table(tallies: Map<string, Tally>): string {
  const rows = [
    "| type | labelled | found right | false | missed | precision | recall |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [type, t] of tallies) {
    rows.push(
      `| ${type} | ${t.tp + t.fn} | ${t.tp} | ${t.fp} | ${t.fn} | ${ratio(t.tp, t.tp + t.fp).toFixed(2)} | ${ratio(t.tp, t.tp + t.fn).toFixed(2)} |`,
    );
  }
  return rows.join("\n");
}

function holds(tallies: Map<string, Tally>, limits: Record<string, { precision: number; recall: number }>) {
  if (process.env.QUALITY_DETAIL) for (const t of tallies.values()) console.log(t.misses.join("\n"));
  for (const [type, t] of tallies) {
    const detail = t.misses.join("\n");
    expect(ratio(t.tp, t.tp + t.fp), `${type} precision\n${detail}`).toBeGreaterThanOrEqual(
      limits[type]!.precision,
    );
    expect(ratio(t.tp, t.tp + t.fn), `${type} recall\n${detail}`).toBeGreaterThanOrEqual(
      limits[type]!.recall,
    );
  }
}

describe("extraction quality on labelled sentences", () => {
  it("holds precision and recall per type on the tuning set (table printed)", () => {
    const tallies = score(LABELLED, true);
    const negatives = LABELLED.filter((s) => s.expect.length === 0).length;
    console.log(
      `Extraction quality, tuning set: ${LABELLED.length} labelled sentences (${negatives} hard negatives) and ${LABELLED_TOPICS.length} topic texts:\n${table(tallies)}`,
    );
    holds(tallies, THRESHOLDS);
    expect(LABELLED.length + LABELLED_TOPICS.length).toBeGreaterThanOrEqual(30);
  });

  it("holds precision and recall per type on the held-out set (table printed)", () => {
    const tallies = score(HELD_OUT, false);
    const negatives = HELD_OUT.filter((s) => s.expect.length === 0).length;
    console.log(
      `Extraction quality, held-out set: ${HELD_OUT.length} labelled sentences (${negatives} hard negatives):\n${table(tallies)}`,
    );
    holds(tallies, HELD_OUT_THRESHOLDS);
  });

  it("keeps the decision's object and drops the clause that follows it", () => {
    const [c] = extractCandidates(
      turnOf("we decided to use Postgres 16 and the release train leaves every second Thursday", "user", 0),
    );
    expect(c?.text).toBe("Decision (api): use postgres 16");
  });
});

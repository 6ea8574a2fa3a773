/**
 * Pseudo-relevance feedback: the pure word selection (feedback.ts), its effect
 * on scores (expansion words add BM25 strength, never coverage), and the real
 * SQLite store with it on and off.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expansionTerms, FEEDBACK, relevanceModel } from "../../src/core/search/feedback.js";
import { matchTerms } from "../../src/core/search/lexical-score.js";
import {
  candidateMatches,
  rankScores,
  scoreCandidates,
  withExpansion,
} from "../../src/core/search/memory-ranking.js";
import { stem } from "../../src/core/search/stem.js";
import { queryTimeIntent } from "../../src/core/search/time-intent.js";
import type { AddInput } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { useTempDir } from "../store/temp-dir.js";

describe("relevanceModel", () => {
  it("weighs words by their share of each document times its weight, skipping query, stop and short words", () => {
    const words = relevanceModel(
      [
        { text: "Deploy the kubectl rollout to staging", weight: 1 },
        { text: "kubectl helm 2024 ok", weight: 0.5 },
      ],
      new Set([stem("deploy"), stem("staging")]),
      10,
    );
    const byStem = new Map(words.map((w) => [w.stem, w.weight]));
    expect(byStem.has(stem("deploy"))).toBe(false); // a query word
    expect(byStem.has("the")).toBe(false); // a stop word
    expect(byStem.has("ok")).toBe(false); // shorter than 3 letters
    expect(byStem.has("2024")).toBe(false); // a number
    // 1/6 from the first text (6 tokens), 0.5/4 from the second (4 tokens).
    expect(byStem.get(stem("kubectl"))).toBeCloseTo(1 / 6 + 0.5 / 4, 10);
    expect(byStem.get(stem("rollout"))).toBeCloseTo(1 / 6, 10);
    expect(byStem.get(stem("helm"))).toBeCloseTo(0.5 / 4, 10);
    expect(words[0]?.stem).toBe(stem("kubectl"));
    expect(words.find((w) => w.stem === stem("rollout"))?.term).toBe("rollout");
  });

  it("keeps at most max words, in a deterministic order, and ignores documents of weight 0", () => {
    const docs = [
      { text: "alpha bravo charlie delta", weight: 1 },
      { text: "zulu yankee", weight: 0 },
    ];
    const words = relevanceModel(docs, new Set(), 2);
    expect(words.map((w) => w.term)).toEqual(["alpha", "bravo"]);
    expect(relevanceModel(docs, new Set(), 0)).toEqual([]);
    expect(relevanceModel([], new Set(), 5)).toEqual([]);
  });
});

describe("expansionTerms", () => {
  const word = (term: string, weight: number) => ({ stem: stem(term), term, weight });

  it("keeps words found in enough memories, best by weight × IDF, scaled to the best", () => {
    const terms = expansionTerms(
      [word("kubectl", 0.4), word("helm", 0.2), word("unique", 0.9)],
      [2, 3, 5],
      [5, 4, FEEDBACK.minDocs - 1],
    );
    expect(terms.map((t) => t.stem)).toEqual([stem("kubectl"), stem("helm")]);
    expect(terms.every((t) => t.expansion === true)).toBe(true);
    // kubectl: value 0.8, the best: weight × its IDF. helm: value 0.6, 0.75 of the best.
    expect(terms[0]?.idf).toBeCloseTo(FEEDBACK.weight * 2, 10);
    expect(terms[1]?.idf).toBeCloseTo(FEEDBACK.weight * 3 * 0.75, 10);
  });

  it("adds at most FEEDBACK.words terms", () => {
    const many = Array.from({ length: FEEDBACK.words + 4 }, (_, i) => word(`word${"abcdefghij"[i]}`, 1 + i));
    const terms = expansionTerms(
      many,
      many.map(() => 1),
      many.map(() => 10),
    );
    expect(terms).toHaveLength(FEEDBACK.words);
  });
});

describe("expansion terms in scoring", () => {
  it("add BM25 strength but leave coverage of the query's own words unchanged", () => {
    const query = [{ stem: stem("deploy"), idf: 2 }];
    const text = "deploy with kubectl";
    const plain = matchTerms(query, text, 4);
    const expanded = matchTerms([...query, { stem: stem("kubectl"), idf: 1, expansion: true }], text, 4);
    expect(expanded.coverage).toBe(plain.coverage);
    expect(plain.coverage).toBe(1);
    expect(expanded.bm25).toBeGreaterThan(plain.bm25);
    const without = matchTerms([...query, { stem: stem("helm"), idf: 1, expansion: true }], text, 4);
    expect(without).toEqual(plain);
  });
});

describe("withExpansion", () => {
  it("scores the same as matching the query and expansion terms at once", () => {
    const query = [
      { stem: stem("deploy"), idf: 2 },
      { stem: stem("staging"), idf: 1.5 },
    ];
    const extra = [
      { stem: stem("kubectl"), idf: 1.2, expansion: true },
      { stem: stem("helm"), idf: 0.6, expansion: true },
    ];
    const candidates = [
      "deploy staging with kubectl",
      "deploy notes: helm chart and kubectl, kubectl again",
      "staging is down",
      "nothing relevant here",
    ].map((text, i) => ({
      text,
      createdAt: "2024-03-01T10:00:00.000Z",
      neighbours: { before: i === 2 ? ["the helm release failed"] : [], after: [] },
    }));
    const intent = queryTimeIntent("deploy staging");
    const together = rankScores([...query, ...extra], intent, candidates, 5);
    const split = scoreCandidates(
      withExpansion(candidateMatches(query, candidates, 5), candidateMatches(extra, candidates, 5)),
      query.length,
      intent,
      candidates,
    );
    expect(split).toHaveLength(together.length);
    for (const [i, score] of split.entries()) expect(score).toBeCloseTo(together[i] ?? Number.NaN, 12);
    // And the expansion changed the scores.
    expect(rankScores(query, intent, candidates, 5)).not.toEqual(together);
  });
});

describe("search with pseudo-relevance feedback (real store)", () => {
  const dir = useTempDir("search-feedback-");
  const at = (minute: number) => new Date(Date.UTC(2024, 2, 1, 10, minute)).toISOString();
  const FULL_1 = "deploy staging with kubectl rollout and the helm chart";
  const FULL_2 = "deploy staging through the helm chart, then kubectl rollout status";
  const RELATED = "deploy notes: kubectl helm chart";
  const UNRELATED = "deploy notes: pasta";
  const memories: AddInput[] = [
    ...["cats sleep all day", "the garden needs water", "a recipe for bread", "trains run late"].map(
      (memory) => ({ user_id: "dev", memory }),
    ),
    { user_id: "dev", memory: FULL_1 },
    { user_id: "dev", memory: FULL_2 },
    { user_id: "dev", memory: RELATED },
    { user_id: "dev", memory: UNRELATED }, // stored last: it wins ties on recency
  ].map((m, i) => ({ ...m, created_at: at(i) }));

  let stores: SqliteMemoryStore[] = [];
  const open = (searchFeedback?: boolean) => {
    const store = SqliteMemoryStore.open(`${dir()}/memories.db`, { searchFeedback });
    stores.push(store);
    return store;
  };
  beforeEach(async () => {
    await open().addMany(memories);
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    stores = [];
  });

  it("ranks a memory that shares the best hits' words above one that shares only the query word", async () => {
    const results = await open().search("deploy staging", { filters: { user_id: "dev" } });
    const texts = results.map((r) => r.memory);
    expect(texts.slice(0, 2).sort()).toEqual([FULL_1, FULL_2].sort());
    expect(texts.indexOf(RELATED)).toBeLessThan(texts.indexOf(UNRELATED));
    expect(texts.indexOf(UNRELATED)).toBeGreaterThan(-1);
    // The query's own scale: memories with every query word score at least 0.7.
    for (const r of results.slice(0, 2)) expect(r.score).toBeGreaterThanOrEqual(0.7);
    for (const r of results) expect(r.score > 0 && r.score <= 1).toBe(true);
  });

  it("without feedback the shorter, newer memory wins (what feedback changes)", async () => {
    const texts = (await open(false).search("deploy staging", { filters: { user_id: "dev" } })).map(
      (r) => r.memory,
    );
    expect(texts.indexOf(UNRELATED)).toBeLessThan(texts.indexOf(RELATED));
    expect(texts.indexOf(RELATED)).toBeGreaterThan(-1);
  });
});

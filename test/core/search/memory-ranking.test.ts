import { describe, expect, it } from "vitest";
import { buildFtsQuery } from "../../../src/core/search/fts-query.js";
import { matchFields, matchTerms, type WeightedTerm } from "../../../src/core/search/lexical-score.js";
import {
  candidateMatches,
  ENDS_WITH_QUESTION_PENALTY,
  NEIGHBOUR_MAX_CHARS,
  NEIGHBOUR_WEIGHTS,
  type RankCandidate,
  rankScores,
  weightedTexts,
} from "../../../src/core/search/memory-ranking.js";
import { queryTimeIntent } from "../../../src/core/search/time-intent.js";

const terms = (query: string): WeightedTerm[] =>
  buildFtsQuery(query)!.stems.map((stem) => ({ stem, idf: 1 }));
const alone = (text: string, createdAt = "2023-05-08T13:56:00.000Z"): RankCandidate => ({
  text,
  createdAt,
  neighbours: { before: [], after: [] },
});

describe("matchFields", () => {
  it("is plain BM25 and coverage for one text of weight 1", () => {
    const t = terms("pottery class");
    // 8 tokens at an average of 8: no length normalisation, so each word once
    // with IDF 1 gives BM25 (1 * (K1 + 1)) / (1 + K1) = 1.
    expect(matchFields(t, [{ text: "I signed up for a pottery class yesterday", weight: 1 }], 8)).toEqual({
      coverage: 1,
      bm25: 2,
    });
  });

  it("counts a word found only in a neighbour in proportion to the neighbour's weight", () => {
    const t = terms("pottery class");
    const m = matchFields(
      t,
      [
        { text: "It was so much fun, we made bowls", weight: 1 },
        { text: "How was the pottery class?", weight: 0.5 },
      ],
      8,
    );
    expect(m.coverage).toBeCloseTo(0.5);
    const own = matchTerms(t, "pottery class was fun", 8);
    expect(m.bm25).toBeGreaterThan(0);
    expect(m.bm25).toBeLessThan(own.bm25);
  });
});

describe("candidateMatches", () => {
  it("takes a candidate's own-text match as is only when it has no neighbours", () => {
    const t = terms("pottery class schedule");
    const candidates: RankCandidate[] = [
      alone("the pottery class is on Tuesdays"),
      {
        ...alone("it moved to Thursdays"),
        neighbours: { before: ["when is the pottery class?"], after: [] },
      },
      { ...alone("the schedule changed"), neighbours: { before: [], after: ["pottery class at noon"] } },
    ];
    const own = candidates.map((c) => matchTerms(t, c.text, 6));
    const plain = candidateMatches(t, candidates, 6);
    expect(candidateMatches(t, candidates, 6, undefined, own)).toEqual(plain);
    expect(plain[0]).toEqual(own[0]);
    // With neighbours the match is more than the own text's (so `own` must not be used there).
    expect(plain[1]?.coverage).toBeGreaterThan(own[1]?.coverage ?? 1);
    expect(plain[2]?.coverage).toBeGreaterThan(own[2]?.coverage ?? 1);
  });
});

describe("weightedTexts", () => {
  it("weighs the nearer neighbour more, a question just before extra, and cuts long neighbours", () => {
    const fields = weightedTexts({
      ...alone("We made bowls"),
      neighbours: { before: ["What did you make at pottery?", "hi"], after: ["Nice!", "x".repeat(2000)] },
    });
    expect(fields.map((f) => f.weight)).toEqual([
      1,
      NEIGHBOUR_WEIGHTS.before[0] + NEIGHBOUR_WEIGHTS.questionBefore,
      NEIGHBOUR_WEIGHTS.before[1],
      NEIGHBOUR_WEIGHTS.after[0],
      NEIGHBOUR_WEIGHTS.after[1],
    ]);
    expect(fields[4]!.text.length).toBe(NEIGHBOUR_MAX_CHARS);
  });
});

describe("rankScores", () => {
  it("finds the answer to a question through the question before it", () => {
    const t = terms("What did Melanie make at the pottery workshop?");
    const answer: RankCandidate = {
      ...alone("Melanie: We each made our own bowl, so calming."),
      neighbours: { before: ["Caroline: How was the pottery workshop?"], after: [] },
    };
    const unrelated = alone("Melanie: The kids loved the museum.");
    const [a, u] = rankScores(t, queryTimeIntent("What did Melanie make?"), [answer, unrelated], 8);
    expect(a).toBeGreaterThan(u!);
  });

  it("prefers a memory that states a time when the question asks when", () => {
    const t = terms("When did Caroline go to the support group?");
    // Same words but one, same length: only the time signal tells them apart.
    const timed = alone("Caroline: I went to a support group yesterday, so powerful.");
    const untimed = alone("Caroline: I went to a support group, so very powerful.");
    const asked = rankScores(
      t,
      queryTimeIntent("When did Caroline go to the support group?"),
      [timed, untimed],
      9,
    );
    expect(asked[0]).toBeGreaterThan(asked[1]!);
    const notAsked = rankScores(t, queryTimeIntent("Caroline support group"), [timed, untimed], 9);
    expect(notAsked[0]).toBeCloseTo(notAsked[1]!, 5);
  });

  it("ranks a memory that ends by asking below one that tells, other things equal", () => {
    const t = terms("favourite dance style");
    const asks = alone("Gina: my favourite dance style, what is yours?");
    const tells = alone("Gina: my favourite dance style, it is contemporary.");
    const [a, b] = rankScores(t, queryTimeIntent("favourite dance style"), [asks, tells], 8);
    expect(a).toBeCloseTo(b! * (1 - ENDS_WITH_QUESTION_PENALTY), 5);
  });

  it("prefers memories written around a date the query names", () => {
    const query = "What did Maria start on 3 June, 2023?";
    const t = terms(query);
    const onDay = alone("Maria: I started volunteering at the dog shelter", "2023-06-03T10:00:00.000Z");
    const later = alone("Maria: I started volunteering at the dog shelter!", "2023-08-01T10:00:00.000Z");
    const [d, l] = rankScores(t, queryTimeIntent(query), [onDay, later], 9);
    expect(d).toBeGreaterThan(l!);
  });

  it("keeps every score in (0, 1], with all boosts at once", () => {
    const query = "When did Maria start volunteering on 3 June, 2023?";
    const scores = rankScores(
      terms(query),
      queryTimeIntent(query),
      [
        alone("Maria started volunteering yesterday, 3 June 2023", "2023-06-03T10:00:00.000Z"),
        alone("nothing at all"),
        alone("volunteering"),
      ],
      5,
    );
    for (const s of scores) expect(s > 0 && s <= 1).toBe(true);
    expect(scores[0]).toBe(1);
  });
});

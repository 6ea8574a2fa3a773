import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { buildFtsQuery } from "../../../src/core/search/fts-query.js";
import {
  inverseDocumentFrequency,
  lexicalScores,
  matchTerms,
  type WeightedTerm,
} from "../../../src/core/search/lexical-score.js";
import {
  allButOneOf,
  BM25_MATCH_BUDGET,
  planCandidateQueries,
} from "../../../src/core/search/search-plan.js";
import { uuidV7 } from "../../../src/store/uuid-v7.js";

const weighted = (query: string, idf: (stem: string) => number = () => 1): WeightedTerm[] =>
  buildFtsQuery(query)!.stems.map((stem) => ({ stem, idf: idf(stem) }));

describe("lexicalScores", () => {
  it("gives a full match 1, keeps every score in (0, 1] and ranks coverage first", () => {
    const scores = lexicalScores(
      weighted("postgres migrations"),
      ["Postgres migration notes", "Postgres only", "nothing relevant"],
      3,
    );
    expect(scores[0]).toBe(1);
    expect(scores[1]).toBeLessThan(scores[0]!);
    expect(scores[2]).toBeLessThan(scores[1]!);
    for (const s of scores) expect(s > 0 && s <= 1).toBe(true);
  });

  it("weights rare words above common ones", () => {
    const terms = weighted("vitest user", (s) => (s === "vitest" ? inverseDocumentFrequency(1000, 3) : 0.2));
    const [rare, common] = lexicalScores(terms, ["uses vitest", "the user"], 2);
    expect(rare).toBeGreaterThan(common!);
  });

  it("does not collapse in a tiny store", () => {
    expect(lexicalScores(weighted("vitest"), ["Uses Vitest"], 2)).toEqual([1]);
  });

  it("counts term frequency and length like BM25", () => {
    const terms = weighted("cache");
    const once = matchTerms(terms, "cache this", 5).bm25;
    const twice = matchTerms(terms, "cache the cache", 5).bm25;
    const long = matchTerms(terms, `cache ${"word ".repeat(40)}`, 5).bm25;
    expect(twice).toBeGreaterThan(once);
    expect(long).toBeLessThan(once);
    expect(matchTerms(terms, "nothing", 5)).toEqual({ coverage: 0, bm25: 0 });
  });

  it("IDF is positive and falls as a word gets common", () => {
    expect(inverseDocumentFrequency(100, 1)).toBeGreaterThan(inverseDocumentFrequency(100, 50));
    expect(inverseDocumentFrequency(100, 100)).toBeGreaterThan(0);
    expect(inverseDocumentFrequency(0, 0)).toBeGreaterThan(0);
  });
});

describe("planCandidateQueries", () => {
  it("ranks every match with BM25 when few memories match", () => {
    expect(
      planCandidateQueries([
        { term: "a1", docs: 10 },
        { term: "b2", docs: 20 },
      ]),
    ).toEqual([{ match: '"a1" OR "b2"', order: "bm25" }]);
  });

  it("bounds the work when words are common: BM25 on rare words, newest for the rest", () => {
    const plan = planCandidateQueries([
      { term: "user", docs: 50_000 },
      { term: "vitest", docs: 12 },
      { term: "prefers", docs: 30_000 },
    ]);
    expect(plan.map((p) => [p.order, p.match])).toEqual([
      ["bm25", '"vitest"'],
      ["newest", '"user" AND "vitest" AND "prefers"'],
      ["newest", allButOneOf(["user", "vitest", "prefers"])],
      ["newest", '"user" OR "vitest" OR "prefers"'],
    ]);
    expect(planCandidateQueries([{ term: "user", docs: BM25_MATCH_BUDGET + 1 }])).toEqual([
      { match: '"user"', order: "newest" },
    ]);
  });

  it("builds 'all but one' expressions SQLite accepts and that mean what they say", () => {
    const db = new Database(":memory:");
    db.exec("CREATE VIRTUAL TABLE t USING fts5 (body)");
    for (const body of ["a b c", "a b", "a c", "b c", "a", "c"])
      db.prepare("INSERT INTO t VALUES (?)").run(body);
    const rows = db
      .prepare("SELECT body FROM t WHERE t MATCH ?")
      .pluck()
      .all(allButOneOf(["a", "b", "c"]));
    db.close();
    expect(rows).toEqual(["a b c", "a b", "a c", "b c"]);
  });
});

describe("uuidV7", () => {
  it("makes RFC 9562 version-7 UUIDs that sort by creation, even within one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidV7(1_700_000_000_000));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.replaceAll("-", "").slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, "0"));
  });
});

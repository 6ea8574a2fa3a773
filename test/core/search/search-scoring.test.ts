import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { buildFtsQuery } from "../../../src/core/search/fts-query.js";
import {
  inverseDocumentFrequency,
  lexicalScores,
  matchTerms,
  stemCounter,
  textCache,
  type WeightedTerm,
} from "../../../src/core/search/lexical-score.js";
import {
  allButOneOf,
  BM25_MATCH_BUDGET,
  planCandidateQueries,
} from "../../../src/core/search/search-plan.js";
import { stem } from "../../../src/core/search/stem.js";
import { wordTokens } from "../../../src/core/search/text-tokens.js";
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

describe("stemCounter", () => {
  const reference = (terms: WeightedTerm[], text: string) => {
    const tokens = wordTokens(text);
    const counts = new Map<number, number>();
    for (const token of tokens) {
      const slot = terms.findIndex((t) => t.stem === stem(token));
      if (slot >= 0) counts.set(slot, (counts.get(slot) ?? 0) + 1);
    }
    return { counts: [...counts].sort((a, b) => a[0] - b[0]), length: tokens.length };
  };
  const counted = (count: ReturnType<typeof stemCounter>, text: string) => {
    const { pairs, length } = count(text);
    const counts: [number, number][] = [];
    for (let j = 0; j < pairs.length; j += 2) counts.push([pairs[j] ?? -1, pairs[j + 1] ?? 0]);
    return { counts: counts.sort((a, b) => a[0] - b[0]), length };
  };
  /** Random texts of words that stem alike or not, long runs, non-ASCII letters and separators. */
  const randomTexts = () => {
    const words = [
      "RUNS",
      "running",
      "Tests",
      "tested",
      "docker",
      "DOCKERS",
      "queue",
      "42",
      "420",
      "caf",
      "café",
      "Café",
      "x",
      "X",
      "xs",
      "the",
      "in",
      "q",
      "d",
      "zz",
      "x".repeat(128),
      "r".repeat(129),
      "\u212a",
      "naïve",
    ];
    const separators = [" ", "  ", ".", "_", "-", "\n", "`", "()", "😀", "/", ""];
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const texts = ["", "   ", "Running", "x".repeat(128), "r".repeat(129)];
    for (let n = 0; n < 400; n++) {
      let text = "";
      const length = next() % 14;
      for (let i = 0; i < length; i++)
        text += `${words[next() % words.length]}${separators[next() % separators.length]}`;
      texts.push(text);
    }
    return texts;
  };

  it("counts a text's stems and tokens exactly as its wordTokens do (ASCII texts are scanned in place)", () => {
    const terms = weighted("Running tests in the Docker queue 42 café x");
    const count = stemCounter(terms);
    for (const text of randomTexts()) expect(counted(count, text), text).toEqual(reference(terms, text));
    expect(count("Running RUNS runner, docker").pairs.length).toBeGreaterThan(0);
  });

  it("counts the same from the token offsets a first counter left in a shared cache (feedback's second pass)", () => {
    const first = weighted("Running tests in the Docker queue 42 café x");
    const second = weighted("queues tested naive X 420 dockers caf");
    const cache = textCache();
    const texts = randomTexts();
    const one = stemCounter(first, cache);
    for (const text of texts) one(text);
    // Every ASCII text's tokens are now known by offset (and the others as not ASCII).
    expect(texts.every((t) => cache.spans.has(t))).toBe(true);
    expect([...cache.spans.values()].some((spans) => spans === null)).toBe(true);
    const two = stemCounter(second, cache);
    for (const text of texts) expect(counted(two, text), text).toEqual(reference(second, text));
    expect(counted(two, "Dockers queued; tested 420").counts.length).toBeGreaterThan(0);
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
    expect(rows).toEqual(["a b c", "a b", "a c", "b c"]);
    // Every subset of up to 7 words: the memories with all but at most one of the first n, for each n.
    const words = ["w1", "w2", "w3", "w4", "w5", "w6", "w7"];
    db.exec("CREATE VIRTUAL TABLE s USING fts5 (body)");
    for (let mask = 1; mask < 2 ** words.length; mask++)
      db.prepare("INSERT INTO s (rowid, body) VALUES (?, ?)").run(
        mask,
        words.filter((_, i) => mask & (2 ** i)).join(" "),
      );
    for (let n = 2; n <= words.length; n++) {
      const terms = words.slice(0, n);
      const expected = [];
      for (let mask = 1; mask < 2 ** words.length; mask++) {
        const present = terms.filter((_, i) => mask & (2 ** i)).length;
        if (present >= n - 1) expected.push(mask);
      }
      const found = db
        .prepare("SELECT rowid FROM s WHERE s MATCH ? ORDER BY rowid")
        .pluck()
        .all(allButOneOf(terms));
      expect(found, terms.join(" ")).toEqual(expected);
      // Fewer word occurrences (each one a walk of the index) than the OR of every "all but word i".
      const occurrences = (allButOneOf(terms).split('"').length - 1) / 2;
      expect(occurrences, terms.join(" ")).toBeLessThan(n === 2 ? 3 : n * (n - 1));
    }
    db.close();
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

import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { buildFtsQuery, MAX_QUERY_TERMS, quoteFtsString } from "../../../src/core/search/fts-query.js";
import { wordTokens } from "../../../src/core/search/text-tokens.js";
import { HOSTILE_QUERIES, randomText } from "../../store/contract-fixtures.js";

const db = new Database(":memory:");
db.exec("CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2')");
db.prepare("INSERT INTO t (body) VALUES (?)").run("Running the database migrations before deploys");
const match = db.prepare("SELECT rowid FROM t WHERE t MATCH ?");
afterAll(() => db.close());

describe("buildFtsQuery", () => {
  it.each([...HOSTILE_QUERIES, randomText(10_000, 7)].map((q) => [JSON.stringify(q.slice(0, 30)), q]))(
    "turns %s into null or a quoted OR that SQLite accepts",
    (_label, query) => {
      const built = buildFtsQuery(query);
      if (built === null) return;
      expect(built.match).toMatch(/^"[^"]+"( OR "[^"]+")*$/);
      expect(built.terms.length).toBeLessThanOrEqual(MAX_QUERY_TERMS);
      expect(() => match.all(built.match)).not.toThrow();
    },
  );

  it("returns null when nothing searchable is left", () => {
    for (const q of ["", "   ", "😀🔥", '"*^():', "\u0000\u0000"]) expect(buildFtsQuery(q)).toBeNull();
  });

  it("drops stop words, keeps one word per stem, and caps the number of terms", () => {
    expect(buildFtsQuery("How do I run the running tests?")?.terms).toEqual(["run", "tests"]);
    expect(buildFtsQuery("the and of")?.terms).toEqual(["the", "and", "of"]);
    const many = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
    expect(buildFtsQuery(many)?.terms).toHaveLength(MAX_QUERY_TERMS);
    expect(buildFtsQuery(many, 3)?.match).toBe('"word0" OR "word1" OR "word2"');
  });

  it("matches through stems like the index does", () => {
    expect(match.all(buildFtsQuery("migrating deploy runs")!.match)).toEqual([{ rowid: 1 }]);
  });

  it("quotes a string by doubling inner quotes", () => {
    expect(quoteFtsString('say "hi"')).toBe('"say ""hi"""');
    expect(() => match.all(quoteFtsString('a " NEAR( b'))).not.toThrow();
  });
});

describe("wordTokens", () => {
  it("folds case and diacritics and splits on everything but letters and digits", () => {
    expect(wordTokens("Café NAÏVE user_id x:y 3.14 😀ok")).toEqual([
      "cafe",
      "naive",
      "user",
      "id",
      "x",
      "y",
      "3",
      "14",
      "ok",
    ]);
  });

  it("splits ASCII text (its fast path) exactly as the Unicode word pattern does", () => {
    const reference = (text: string) =>
      [...text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)].map((m) => m[0]).filter((t) => t.length <= 128);
    const alphabet = "aZ09 _-.:/\n\t\"'()[]{}@#$%^&*+=~`|\\<>?!,;\x00\x7f";
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 500; n++) {
      const length = next() % 60;
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(wordTokens(text)).toEqual(reference(text));
    }
    const long = `${"x".repeat(128)} ok ${"y".repeat(129)} End`;
    expect(wordTokens(long)).toEqual(reference(long));
    expect(wordTokens(long)).toEqual(["x".repeat(128), "ok", "end"]);
  });
});

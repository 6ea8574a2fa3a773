import { describe, expect, it } from "vitest";
import { markMatches, matchRanges, snippet } from "../../src/cli/snippet.js";

const MARKS = { start: "[", end: "]" };
const LONG = `${"We looked at the build output and the flaky tests for a while. ".repeat(4)}Finally the ECONNREFUSED error came from postgres not running on port 5432.`;

describe("snippet", () => {
  it("shows the text around the first matching word, not the start, with … where it was cut", () => {
    const s = snippet(LONG, "why does postgres refuse connections", 80);
    expect(s).toContain("postgres");
    expect(s.startsWith("…")).toBe(true);
    expect(s.length).toBeLessThanOrEqual(82);
  });

  it("matches by stem, as the index does, and marks each matched word", () => {
    expect(snippet("The runner was running two runs", "run", 100, MARKS)).toBe(
      "The runner was [running] two [runs]",
    );
    expect(matchRanges("Tests TESTED testing", "test")).toEqual([
      [0, 5],
      [6, 12],
      [13, 20],
    ]);
  });

  it("without a match (or a query) shows the start, flattened", () => {
    expect(snippet("first line\nsecond   line", null)).toBe("first line second line");
    expect(snippet(LONG, "kubernetes", 20)).toBe("We looked at the bui…");
  });

  it("marks matches in a whole text and keeps its lines", () => {
    expect(markMatches("User: use pnpm\nAssistant: pnpm it is", "pnpm", MARKS)).toBe(
      "User: use [pnpm]\nAssistant: [pnpm] it is",
    );
    expect(markMatches("no marks", "marks")).toBe("no marks");
  });
});

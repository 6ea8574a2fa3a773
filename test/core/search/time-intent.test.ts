import { describe, expect, it } from "vitest";
import { inWindow, mentionsTime, namedDate, queryTimeIntent } from "../../../src/core/search/time-intent.js";

describe("queryTimeIntent", () => {
  it("recognises questions about when", () => {
    for (const q of [
      "When did Caroline go to the support group?",
      "  when is the deploy",
      "How long has she had the dog?",
      "What year did they move?",
      "In which month did the outage happen?",
    ]) {
      expect(queryTimeIntent(q).asksWhen, q).toBe(true);
    }
    for (const q of ["What did Caroline research?", "postgres migrations", "Whenever it rains"]) {
      expect(queryTimeIntent(q).asksWhen, q).toBe(false);
    }
  });

  it("reads a named day as that day, a day of slack on each side", () => {
    const day = { from: "2023-06-02T00:00:00.000Z", to: "2023-06-05T00:00:00.000Z" };
    expect(namedDate("What did Maria start on 3 June, 2023?")).toEqual(day);
    expect(namedDate("What happened on June 3rd, 2023")).toEqual(day);
    expect(namedDate("the 3rd of June 2023")).toEqual(day);
    expect(namedDate("notes from 2023-06-03")).toEqual(day);
    expect(namedDate("the picture shared on June 3,2023")).toEqual(day);
    expect(namedDate("3 June,2023")).toEqual(day);
  });

  it("reads a named month as that month, a day of slack on each side", () => {
    expect(namedDate("What did John host in May 2023?")).toEqual({
      from: "2023-04-30T00:00:00.000Z",
      to: "2023-06-02T00:00:00.000Z",
    });
    expect(namedDate("in Dec. 2022")).toEqual({
      from: "2022-11-30T00:00:00.000Z",
      to: "2023-01-02T00:00:00.000Z",
    });
  });

  it("finds no date where there is none, or a bad one", () => {
    for (const text of [
      "What did she paint?",
      "may I ask",
      "2023",
      "on 45 June 2023",
      "2023-13-40",
      "maybe 2023 is the year",
      "marching 2023",
      "",
    ]) {
      expect(namedDate(text), text).toBeNull();
    }
  });

  it("compares stored timestamps with a window", () => {
    const w = namedDate("3 June 2023")!;
    expect(inWindow("2023-06-03T13:56:00.000Z", w)).toBe(true);
    expect(inWindow("2023-06-02T00:00:00.000Z", w)).toBe(true);
    expect(inWindow("2023-06-05T00:00:00.000Z", w)).toBe(false);
    expect(inWindow("2023-05-31T23:59:59.999Z", w)).toBe(false);
  });

  it("stays cheap on a long paste", () => {
    const intent = queryTimeIntent(`${"word ".repeat(5000)} on 3 June 2023`);
    expect(intent).toEqual({ asksWhen: false, window: null });
  });
});

describe("mentionsTime", () => {
  it("spots relative times, weekdays, months and years", () => {
    for (const text of [
      "I went there yesterday",
      "two weeks ago we moved",
      "Last Fri I took the kids",
      "see you in August",
      "back in 2019 it was different",
      "we ship next month",
    ]) {
      expect(mentionsTime(text), text).toBe(true);
    }
    for (const text of ["I love painting", "The build uses esbuild", "port 3000 is taken", "maybe"]) {
      expect(mentionsTime(text), text).toBe(false);
    }
  });
});

import { describe, expect, it } from "vitest";
import { normaliseEvidence, parseLocomo, parseSessionDate } from "../../bench/lib/locomo-data.js";
import { recallAt, turnMemory, turnText } from "../../bench/lib/locomo-eval.js";

describe("LoCoMo file reading", () => {
  it("normalises the malformed evidence ids the data README lists", () => {
    expect(normaliseEvidence("D8:6; D9:17")).toEqual(["D8:6", "D9:17"]);
    expect(normaliseEvidence("D:11:26")).toEqual(["D11:26"]);
    expect(normaliseEvidence("D30:05")).toEqual(["D30:5"]);
    expect(normaliseEvidence("D")).toEqual([]);
    expect(normaliseEvidence(42)).toEqual([]);
    expect(normaliseEvidence(null)).toEqual([]);
  });

  it("reads session dates as UTC", () => {
    expect(parseSessionDate("1:56 pm on 8 May, 2023")).toBe("2023-05-08T13:56:00.000Z");
    expect(parseSessionDate("12:09 am on 13 September, 2023")).toBe("2023-09-13T00:09:00.000Z");
    expect(parseSessionDate("12:30 pm on 1 Jan, 2024")).toBe("2024-01-01T12:30:00.000Z");
    expect(parseSessionDate("no date here")).toBeNull();
  });

  it("walks the session_N lists in number order, whatever the date keys say", () => {
    const [conv] = parseLocomo([
      {
        sample_id: "conv-x",
        conversation: {
          speaker_a: "Ann",
          speaker_b: "Bob",
          session_10: [{ speaker: "Bob", dia_id: "D10:1", text: "later" }],
          session_10_date_time: "bad date",
          session_2: [
            { speaker: "Ann", dia_id: "D2:1", text: "hi", blip_caption: "a photo of a cat" },
            { speaker: "Bob", text: "no id" },
          ],
          session_2_date_time: "9:00 am on 2 March, 2023",
          session_3_date_time: "10:00 am on 9 March, 2023",
        },
        qa: [
          { question: "Who has a cat?", answer: "Ann", evidence: ["D2:1", "D2:1"], category: 1 },
          { question: "Unanswerable?", adversarial_answer: "none", category: 5 },
        ],
      },
    ]);
    expect(conv!.id).toBe("conv-x");
    expect(conv!.turns.map((t) => [t.diaId, t.session, t.index])).toEqual([
      ["D2:1", 2, 0],
      ["D2:2", 2, 1],
      ["D10:1", 10, 0],
    ]);
    // An unreadable date: one day after the previous session.
    expect(conv!.turns[2]!.sessionDate).toBe("2023-03-03T09:00:00.000Z");
    expect(conv!.questions).toEqual([
      { question: "Who has a cat?", answer: "Ann", category: "1", evidence: ["D2:1"] },
      { question: "Unanswerable?", answer: "none", category: "5", evidence: [] },
    ]);
    const first = conv!.turns[0]!;
    expect(turnText(first)).toBe("Ann: hi [shared an image: a photo of a cat]");
    expect(turnMemory(first)).toMatchObject({
      run_id: "session_2",
      created_at: "2023-03-02T09:00:00.000Z",
      metadata: { speaker: "Ann", dia_id: "D2:1" },
    });
    expect(turnMemory(conv!.turns[1]!).created_at).toBe("2023-03-02T09:00:01.000Z");
  });

  it("refuses a file that is not a list of conversations", () => {
    expect(() => parseLocomo({})).toThrow(/JSON list/);
    expect(() => parseLocomo([{ sample_id: "c", conversation: 3 }])).toThrow(
      /c.conversation is not an object/,
    );
  });
});

describe("recallAt", () => {
  it("is the share of evidence in the top k", () => {
    expect(recallAt(["a", "b", "c", "d"], ["b", "d", "z"], [1, 2, 4])).toEqual([0, 1 / 3, 2 / 3]);
  });
});

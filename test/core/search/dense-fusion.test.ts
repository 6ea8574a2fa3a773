import { describe, expect, it } from "vitest";
import {
  denseBonus,
  FULL_BONUS_AT_SD,
  fuseDense,
  textToEmbed,
} from "../../../src/core/search/dense-fusion.js";

describe("denseBonus", () => {
  const stats = { mean: 0.8, sd: 0.05 };
  it("is 0 at or beyond the mean distance and full FULL_BONUS_AT_SD deviations closer", () => {
    expect(denseBonus(0.8, stats)).toBe(0);
    expect(denseBonus(0.95, stats)).toBe(0);
    expect(denseBonus(0.8 - FULL_BONUS_AT_SD * 0.05, stats)).toBeCloseTo(1, 10);
    expect(denseBonus(0.1, stats)).toBe(1);
    expect(denseBonus(0.75, stats)).toBeCloseTo(1 / FULL_BONUS_AT_SD, 10);
  });
  it("is 0 when the spread is unknown", () => {
    expect(denseBonus(0.1, { mean: 0.5, sd: 0 })).toBe(0);
    expect(denseBonus(Number.NaN, stats)).toBe(0);
  });
});

describe("fuseDense", () => {
  const stats = { mean: 0.8, sd: 0.05 };
  it("keeps the lexical order with weight 0", () => {
    const lexical = new Map([
      ["a", 0.9],
      ["b", 0.5],
    ]);
    const fused = fuseDense(lexical, [{ key: "b", distance: 0.1 }], stats, 0);
    expect([...fused.entries()]).toEqual([
      ["a", 0.9],
      ["b", 0.5],
    ]);
  });
  it("lifts a close memory over a slightly better lexical match, adds dense-only memories, stays in (0, 1]", () => {
    const lexical = new Map([
      ["a", 0.62],
      ["b", 0.6],
    ]);
    const fused = fuseDense(
      lexical,
      [
        { key: "b", distance: 0.5 },
        { key: "c", distance: 0.6 },
        { key: "d", distance: 0.9 },
      ],
      stats,
      0.1,
    );
    expect(fused.get("b")).toBeGreaterThan(fused.get("a")!);
    expect(fused.get("a")).toBeCloseTo(0.62 / 1.1, 10);
    expect(fused.get("c")).toBeCloseTo(0.1 / 1.1, 10);
    expect(fused.has("d")).toBe(false);
    for (const s of fused.values()) expect(s > 0 && s <= 1).toBe(true);
  });
});

describe("textToEmbed", () => {
  it("keeps short texts and cuts long ones", () => {
    expect(textToEmbed("short")).toBe("short");
    expect(textToEmbed("x".repeat(5000))).toHaveLength(2000);
  });
});

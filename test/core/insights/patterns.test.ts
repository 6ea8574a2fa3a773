import { describe, expect, it } from "vitest";
import { findErrorSignatures } from "../../../src/core/insights/error-signatures.js";
import { extractCandidates } from "../../../src/core/insights/extract-candidates.js";
import { countPhrases, phrasesOf, weightedLogOdds } from "../../../src/core/insights/key-phrases.js";
import { parseModelAnswer } from "../../../src/core/insights/model-reflection.js";
import {
  isFixConfirmation,
  matchAssistantTodo,
  matchDecision,
  matchPreference,
  matchUserTodo,
} from "../../../src/core/insights/statement-patterns.js";
import { splitTurnText, toTurnRecords } from "../../../src/core/insights/turn-record.js";
import type { TurnRecord } from "../../../src/core/insights/types.js";

const sig = (text: string) => findErrorSignatures(text).map((s) => s.signature);

describe("error signatures", () => {
  it("keep what recurs and drop what varies (ports, paths, line numbers, quoted types)", () => {
    expect(sig("Error: listen EADDRINUSE: address already in use :::3000")).toEqual(
      sig("Error: listen EADDRINUSE: address already in use :::5173"),
    );
    expect(sig("src/a.ts(1,2): error TS2322: Type 'string' is not assignable to type 'number'.")).toEqual([
      "TS2322: Type '<x>' is not assignable to type '<x>'",
    ]);
    expect(sig("Error: Cannot find module '/home/dev/x/dist/index.js'")).toEqual([
      "Error: Cannot find module '<x>'",
    ]);
    expect(sig("TypeError: Cannot read properties of undefined (reading 'map')")).toEqual([
      "TypeError: Cannot read properties of undefined (reading 'map')",
    ]);
    expect(sig("error[E0308]: mismatched types")).toEqual(["E0308: mismatched types"]);
    expect(sig("npm ERR! code ERESOLVE")).toEqual(["ERESOLVE"]);
    expect(sig("AxiosError: Request failed with status code 429")).toEqual([
      "AxiosError: Request failed with status code <n>",
    ]);
  });

  it("ignore source code and numbered file listings, and report each signature once", () => {
    expect(
      sig(
        "  42→  throw new Error(`bad input`);\nclass ParseError extends Error {}\n    at run (/a/b.js:1:2)",
      ),
    ).toEqual([]);
    expect(sig("SqliteError: database is locked\nSqliteError: database is locked")).toHaveLength(1);
  });
});

describe("statement patterns", () => {
  it("recognise preferences and canonicalise rephrasings to one form", () => {
    expect(matchPreference("I prefer pnpm over npm.")?.canonical).toBe("prefer pnpm over npm");
    expect(matchPreference("use pnpm instead of npm please")?.canonical).toBe("prefer pnpm over npm");
    expect(matchPreference("Please always use named exports in new modules")?.canonical).toBe(
      "always use named exports",
    );
    expect(matchPreference("Don't add comments that restate the code, by the way.")?.canonical).toBe(
      "never add comments that restate the code",
    );
  });

  it("reject questions, conditionals, plans and non-rules", () => {
    for (const s of [
      "Do you prefer tabs?",
      "Should we always use server components?",
      "If you prefer, use a Makefile for the build steps.",
      "don't worry about the lint warnings",
      "I'd prefer to see the diff first next time though.",
      "Let's use Postgres for the queue.",
    ]) {
      expect(matchPreference(s), s).toBeNull();
    }
  });

  it("recognise decisions with what they chose, for what, instead of what", () => {
    expect(matchDecision("We'll switch from SQLite to Postgres for the job queue.")?.fields).toEqual({
      choice: "postgres",
      purpose: "job queue",
      replaced: "sqlite",
    });
    expect(matchDecision("Let's go with Polars instead of pandas for the feature pipeline.")?.fields).toEqual(
      {
        choice: "polars",
        purpose: "feature pipeline",
        replaced: "pandas",
      },
    );
    expect(matchDecision("Let's go with option 2.")).toBeNull();
    expect(matchDecision("let's see what the logs say")).toBeNull();
  });

  it("recognise unfinished work from the person and deferrals from the assistant", () => {
    expect(matchUserTodo("TODO: add rate limiting to the login route")?.canonical).toBe(
      "add rate limiting to the login route",
    );
    expect(matchUserTodo("Let's handle the retry logic later.")?.canonical).toBe("handle the retry logic");
    expect(matchUserTodo("let's check that later")).toBeNull();
    expect(matchAssistantTodo("Token refresh is still not implemented.")?.canonical).toBe("token refresh");
    expect(matchAssistantTodo("I added token refresh.")).toBeNull();
  });

  it("tell a confirmed fix from a failing one", () => {
    expect(isFixConfirmation("that fixed it, thanks!")).toBe(true);
    expect(isFixConfirmation("Tests pass now.")).toBe(true);
    expect(isFixConfirmation("still not working")).toBe(false);
    expect(isFixConfirmation("that didn't fix it")).toBe(false);
  });
});

describe("turns", () => {
  it("split the capture's text and treat the user part after a tool call as tool output", () => {
    expect(splitTurnText("User: hi\nthere\nAssistant: hello")).toEqual({
      user: "hi\nthere",
      assistant: "hello",
    });
    expect(splitTurnText("Assistant: only a reply")).toEqual({ user: "", assistant: "only a reply" });
    const base = { app_id: "/p", run_id: "s1" };
    const [first, second] = toTurnRecords([
      {
        ...base,
        id: "1",
        created_at: "2026-01-01T00:00:00Z",
        memory: 'User: run it\nAssistant: [tool_use Bash {"command":"x"}]',
      },
      {
        ...base,
        id: "2",
        created_at: "2026-01-01T00:01:00Z",
        memory: "User: TODO: not mine\nAssistant: done",
      },
    ]);
    expect(first!.user).toBe("run it");
    expect(second).toMatchObject({ user: "", tool_results: "TODO: not mine" });
    expect(extractCandidates(second!)).toEqual([]);
  });

  it("link a confirmed fix to the latest error earlier in the session", () => {
    const t = (id: string, user: string, assistant: string, tool = ""): TurnRecord => ({
      id,
      app_id: "/p",
      run_id: "s",
      created_at: `2026-01-01T00:0${id}:00Z`,
      user,
      tool_results: tool,
      assistant,
    });
    const previous = [
      t(
        "1",
        "",
        "I pinned better-sqlite3 to 12.x so it builds on Node 20.",
        "Error: Could not locate the bindings file",
      ),
    ];
    const [solution] = extractCandidates(t("2", "works now, thanks", "Great."), previous);
    expect(solution).toMatchObject({
      type: "solution",
      source_id: "2",
      fields: {
        problem: "Error: Could not locate the bindings file",
        fix: "i pinned better-sqlite3 to 12.x so it builds on node 20",
      },
    });
  });
});

describe("key phrases (weighted log-odds against the background)", () => {
  it("rank what the window uses more than the history, not what is everywhere", () => {
    const common = "the function returns the value from the test";
    const rest = Array.from({ length: 30 }, (_, i) =>
      phrasesOf(`${common} job queue worker ${i % 3 ? "lease" : ""}`),
    );
    const window = Array.from({ length: 8 }, () => phrasesOf(`${common} polars lazy frames`));
    const ranked = weightedLogOdds(
      countPhrases(window),
      countPhrases(rest),
      countPhrases([...window, ...rest]),
    );
    expect(ranked[0]!.phrase).toMatch(/polars|lazy|frames/);
    const z = Object.fromEntries(ranked.map((r) => [r.phrase, r.z]));
    expect(z.polars!).toBeGreaterThan(1.96);
    expect(z.function!).toBeLessThan(1);
    expect(phrasesOf("job queue. worker")).toEqual(new Set(["job", "queue", "job queue", "worker"]));
  });
});

describe("model answers", () => {
  const ids = new Set(["a", "b"]);
  const insight = { kind: "topic", title: "t", description: "d", confidence: 0.5, memory_ids: ["a"] };
  it("accept the schema with known ids, in a fence or bare", () => {
    const r = parseModelAnswer(`\`\`\`json\n${JSON.stringify({ insights: [insight] })}\n\`\`\``, ids);
    expect(r).toEqual({ ok: true, insights: [{ ...insight, counts: {} }] });
  });
  it("reject unknown ids, bad kinds, confidence out of range, and prose", () => {
    const bad = (i: object) => parseModelAnswer(JSON.stringify({ insights: [{ ...insight, ...i }] }), ids).ok;
    expect(bad({ memory_ids: ["zzz"] })).toBe(false);
    expect(bad({ kind: "mood" })).toBe(false);
    expect(bad({ confidence: 2 })).toBe(false);
    expect(bad({ memory_ids: [] })).toBe(false);
    expect(parseModelAnswer("no json here", ids)).toEqual({
      ok: false,
      reason: "the reply holds no JSON object",
    });
  });
});

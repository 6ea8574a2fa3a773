import { describe, expect, it } from "vitest";
import { buildEpisode, episodeText } from "../../../src/core/episodes/index.js";
import { extractCandidates } from "../../../src/core/insights/extract-candidates.js";
import { splitEpisodeText, toTurnRecords } from "../../../src/core/insights/turn-record.js";

/** Insights read episodes: the person's words, the answer, and failed calls from the trace. */

const call = (id: string, command: string) => ({
  role: "assistant",
  content: [{ type: "tool_use", id, name: "Bash", input: { command } }],
});
const result = (id: string, content: string, is_error = false) => ({
  role: "user",
  content: [{ type: "tool_result", tool_use_id: id, content, is_error }],
});

function episodeMemory(id: string, session: string, messages: unknown[], answer: string, at: string) {
  const ep = buildEpisode({
    messages,
    reply: { content: [{ type: "text", text: answer }], stop_reason: "end_turn", model: "m", complete: true },
    userId: "u",
    agentId: "a",
    project: "/p",
    session,
    client: null,
    source: "capture",
    startedAt: at,
    endedAt: at,
    usage: null,
  });
  if (!ep) throw new Error("no episode");
  return { id, memory: episodeText(ep), app_id: "/p", run_id: session, created_at: at };
}

const FAILING = [
  { role: "user", content: "run the integration tests" },
  call("a", "npm run test:int"),
  result("a", "Exit code 1\nError: connect ECONNREFUSED 127.0.0.1:5432", true),
  call("b", "docker compose up -d db && npm run test:int"),
  result("b", "42 passed"),
];

describe("insights on episodes", () => {
  it("splits an episode into words, answer and trace; legacy turns have no trace", () => {
    const m = episodeMemory(
      "e1",
      "s1",
      FAILING,
      "The database was not running; the fix was to start it first.",
      "2026-12-01T10:00:00.000Z",
    );
    expect(splitEpisodeText(m.memory)).toEqual({
      user: "run the integration tests",
      assistant: "The database was not running; the fix was to start it first.",
      trace: [
        "Bash: npm run test:int → error: Exit code 1: Error: connect ECONNREFUSED 127.0.0.1:5432",
        "Bash: docker compose up -d db && npm run test:int",
      ],
    });
    expect(splitEpisodeText("User: hi\nAssistant: hello")).toBeNull();
  });

  it("a failed call in the trace is an error; fixed in the same episode, it is a solution", () => {
    const m = episodeMemory(
      "e1",
      "s1",
      FAILING,
      "The database was not running; the fix was to start it first.",
      "2026-12-01T10:00:00.000Z",
    );
    const [turn] = toTurnRecords([m]);
    expect(turn).toMatchObject({
      user: "run the integration tests",
      tool_results:
        "[tool error] Bash: npm run test:int: Exit code 1: Error: connect ECONNREFUSED 127.0.0.1:5432",
      recovered: true,
    });
    const found = extractCandidates(turn as never);
    const error = found.find((c) => c.type === "error");
    expect(error?.text).toMatch(/^Error: ECONNREFUSED/);
    const solution = found.find((c) => c.type === "solution");
    expect(solution?.text).toMatch(/^Solution: .*ECONNREFUSED.* — fixed by: .*start it first/);
  });

  it("a tool result's body never reaches the analyser; the same error in three episodes counts three times", () => {
    const mems = ["2026-12-01", "2026-12-02", "2026-12-03"].map((d, i) =>
      episodeMemory(`e${i}`, `s${i}`, FAILING.slice(0, 3), "It still fails.", `${d}T10:00:00.000Z`),
    );
    const turns = toTurnRecords(mems);
    const errors = turns.flatMap((t) => extractCandidates(t).filter((c) => c.type === "error"));
    expect(errors).toHaveLength(3);
    expect(new Set(errors.map((c) => c.key)).size).toBe(1);
    expect(turns.every((t) => t.recovered === false)).toBe(true);
  });
});

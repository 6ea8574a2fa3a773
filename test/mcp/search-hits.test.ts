import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildEpisode, episodeToMemory } from "../../src/core/episodes/index.js";
import { dataOf, type Harness, openHarness, textOf } from "./harness.js";

/** search_memories over episodes: compact hits a model can use, without keys or token usage. */

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

const APP = "/home/dev/acme-api";

/** A realistic episode: a question, a few tool calls, an answer of a few sentences. */
function episode(i: number) {
  const call = (id: string, name: string, input: Record<string, unknown>) => ({
    role: "assistant",
    content: [{ type: "tool_use", id, name, input }],
  });
  const result = (id: string) => ({
    role: "user",
    content: [{ type: "tool_result", tool_use_id: id, content: "ok" }],
  });
  const ep = buildEpisode({
    messages: [
      {
        role: "user",
        content: `why does the deploy of service ${i} fail on the staging cluster since Monday?`,
      },
      call("a", "Read", { file_path: `${APP}/deploy/service-${i}.yaml` }),
      result("a"),
      call("b", "Bash", { command: `kubectl logs deploy/service-${i} --since=24h | tail -50` }),
      result("b"),
      call("c", "Edit", { file_path: `${APP}/deploy/service-${i}.yaml` }),
      result("c"),
    ],
    reply: {
      content: [
        {
          type: "text",
          text: `The deploy of service ${i} fails because the readiness probe points at /healthz, which the new build moved to /health. I changed the probe path in deploy/service-${i}.yaml; the rollout should pass now. The old path is still referenced in the runbook, which you may want to update too.`,
        },
      ],
      stop_reason: "end_turn",
      model: "claude-x",
      complete: true,
    },
    userId: "default_user",
    agentId: "claude-code",
    project: APP,
    session: `5b0c1f9e-0000-4000-8000-00000000000${i}`,
    client: "claude-cli/2.1.197",
    source: "capture",
    startedAt: `2026-12-0${i}T10:00:00.000Z`,
    endedAt: `2026-12-0${i}T10:01:00.000Z`,
    usage: { input_tokens: 12000, output_tokens: 800, cache_read_input_tokens: 40000 },
  });
  if (!ep) throw new Error("no episode");
  return episodeToMemory(ep);
}

describe("search_memories on episodes", () => {
  it("five hits fit in about 2.5 kB, text and structured content alike, with no keys or usage", async () => {
    for (let i = 1; i <= 5; i++) await h.store.add(episode(i));
    const result = await h.call("search_memories", {
      query: "deploy fails staging readiness probe",
      limit: 5,
    });
    const data = dataOf(result);
    expect(data.results).toHaveLength(5);
    const text = textOf(result);
    expect(text.length).toBeLessThanOrEqual(2600);
    // Claude Code hands a model JSON.stringify(structuredContent) when a tool returns it.
    expect(JSON.stringify(data).length).toBeLessThanOrEqual(2600);
    for (const forbidden of ["episode_key", "turn_key", "usage", "input_tokens", "cache_read"]) {
      expect(text).not.toContain(forbidden);
      expect(JSON.stringify(data)).not.toContain(forbidden);
    }
    const hit = data.results[0];
    expect(Object.keys(hit).sort()).toEqual(
      ["created_at", "id", "memory", "metadata", "project", "score", "session", "truncated"].sort(),
    );
    expect(hit.project).toBe(APP);
    expect(hit.session).toMatch(/^5b0c1f9e-/);
    expect(hit.memory).toMatch(/^User: why does the deploy of service \d fail/);
    expect(hit.metadata).toEqual({
      kind: "episode",
      files_changed: [expect.stringMatching(/^deploy\/service-\d\.yaml$/)],
    });
    expect(data.note).toMatch(/past sessions.*not instructions/);
    // A cut hit says so, and get_memory gives the whole episode.
    expect(hit.truncated).toBe(true);
    expect(text).toContain("cut: get_memory for all");
    const whole = dataOf(await h.call("get_memory", { memory_id: hit.id }));
    expect(whole.memory.memory).toContain("Trace:\n- Read deploy/service-");
  });
});

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Memory } from "../../../src/core/types.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { runCli, tempDataDir } from "../../support/cli.js";
import { type Harness, startHarness } from "../support/harness.js";
import { replaySession } from "../support/session-replay.js";
import { AGENTIC, copyProjects, entries, FIX, PROJECT, SUBAGENT, usageOf } from "./support/transcripts.js";

/**
 * The same three recorded sessions, once replayed through the real proxy
 * (their API requests) and once read from the transcripts Claude Code wrote
 * for them: the same episodes, text, trace and metadata, the source aside.
 * Usage and times are the only metadata that differ by nature (the stub
 * answers with its own usage, the replay runs now): the transcript's are
 * checked against the recorded entries instead.
 */

const SCENARIOS = [
  {
    name: "agentic task with a resumed follow-up",
    session: AGENTIC,
    files: ["agentic-read-bash/requests.jsonl", "agentic-read-bash/requests-resume.jsonl"],
    episodes: 2,
  },
  {
    name: "fix with a failing command and an Edit",
    session: FIX,
    files: ["fix-with-error/requests.jsonl"],
    episodes: 1,
  },
  {
    name: "sub-agent folded into its parent",
    session: SUBAGENT,
    files: ["subagent/requests.jsonl"],
    episodes: 1,
  },
];
const BY_NATURE = ["source", "usage", "started_at", "ended_at", "duration_ms"];

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function without(meta: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(meta).filter(([k]) => !keys.includes(k)));
}

async function importInto(dataDir: string, projects: string) {
  const r = await runCli(["--data-dir", dataDir, "import", "--from", "claude-code", projects, "--json"], {
    env: { DEFAULT_USER_ID: "tester" },
  });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { episodes: { stored: number; known: number; found: number } };
}

async function memoriesIn(dataDir: string): Promise<Memory[]> {
  const store = SqliteMemoryStore.open(join(dataDir, "memories.db"));
  try {
    return (await store.list({ filters: { user_id: "tester" }, limit: 100 })).memories;
  } finally {
    await store.close();
  }
}

describe.each(SCENARIOS)("$name: transcript and proxy agree", (sc) => {
  it("gives the same episodes, and importing after live capture stores nothing twice", async () => {
    h = await startHarness();
    for (const f of sc.files) await replaySession(h, f, "reverse");
    const live = (await h.waitForStored(sc.episodes)).filter((m) => m.run_id === sc.session);
    expect(live).toHaveLength(sc.episodes);

    // The transcript alone, into a data directory of its own.
    const alone = tempDataDir("mmm-transcript-");
    const projects = copyProjects(alone);
    const first = await importInto(alone, projects);
    expect(first.episodes.stored).toBe(4); // every session of the folder: 2 + 1 + 1
    const fromTranscript = (await memoriesIn(alone)).filter((m) => m.run_id === sc.session);
    expect(fromTranscript).toHaveLength(sc.episodes);

    const recorded = entries(sc.session);
    for (const p of live) {
      const t = fromTranscript.find((m) => m.metadata.episode_key === p.metadata.episode_key);
      expect(t, `no transcript episode for "${p.memory.split("\n")[0]}"`).toBeDefined();
      if (!t) continue;
      expect(t.memory).toBe(p.memory);
      expect([t.app_id, t.run_id, t.agent_id, t.categories]).toEqual([
        PROJECT,
        sc.session,
        p.agent_id,
        p.categories,
      ]);
      expect(without(t.metadata, BY_NATURE)).toEqual(without(p.metadata, BY_NATURE));
      expect([p.metadata.source, t.metadata.source]).toEqual(["capture", "transcript"]);

      // Usage and times: those of the transcript's own entries for this episode.
      const words = t.memory.split("\n")[0]?.slice("User: ".length);
      const start = recorded.findIndex((e) => e.type === "user" && e.message?.content === words);
      const next = recorded.findIndex(
        (e, i) => i > start && e.type === "user" && typeof e.message?.content === "string",
      );
      const span = recorded.slice(start, next === -1 ? undefined : next);
      const lastAssistant = span.filter((e) => e.type === "assistant").pop();
      expect(t.metadata.started_at).toBe(recorded[start]?.timestamp);
      expect(t.metadata.ended_at).toBe(lastAssistant?.timestamp);
      expect(t.metadata.usage).toMatchObject(usageOf(span));
      expect(Object.keys(p.metadata.usage as object)).toEqual(
        expect.arrayContaining(["input_tokens", "output_tokens"]),
      );
    }

    // Live capture first, then the import of the same sessions: nothing new for these sessions.
    const before = (await h.captured()).length;
    const again = await importInto(h.dir, copyProjects(h.dir));
    expect((await h.captured()).filter((m) => m.run_id === sc.session)).toHaveLength(sc.episodes);
    expect(again.episodes.known).toBeGreaterThanOrEqual(sc.episodes);
    // The other two sessions (not replayed here) are new to this store.
    expect((await h.captured()).length).toBe(before + 4 - sc.episodes);
  });
});

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TranscriptState, transcriptStatePath } from "../../../src/capture/transcripts/transcript-state.js";
import type { Memory } from "../../../src/core/types.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { cliPath, tempDataDir } from "../../support/cli.js";
import { until } from "../../support/until.js";
import { type Harness, startHarness } from "../support/harness.js";
import { replaySession } from "../support/session-replay.js";
import {
  AGENTIC,
  appendLines,
  FIX,
  fixtureLines,
  SUBAGENT,
  transcriptIn,
  writeLines,
} from "./support/transcripts.js";

/**
 * `watch` as a real process following a real folder: new sessions, appended
 * episodes, a restart mid-file, a truncated and a replaced file, and the
 * proxy capturing the same sessions at the same time.
 */

const ENV = { DEFAULT_USER_ID: "tester" };

interface Watch {
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  exited: Promise<number | string>;
}

const running: Watch[] = [];
let h: Harness | null = null;
afterEach(async () => {
  for (const w of running.splice(0)) {
    w.child.kill("SIGKILL");
    await w.exited;
  }
  await h?.close();
  h = null;
});

async function startWatch(dataDir: string, projects: string): Promise<Watch> {
  const child = spawn(process.execPath, [cliPath, "--data-dir", dataDir, "watch", projects], {
    env: { PATH: process.env.PATH ?? "", HOME: dataDir, ...ENV },
  });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | string>((r) => child.on("close", (c, s) => r(c ?? s ?? -1)));
  const w = { child, stderr: () => err, exited };
  running.push(w);
  await until(
    () => err.includes("watching ") || child.exitCode !== null,
    () => `watch to start:\n${err}`,
  );
  expect(child.exitCode, err).toBeNull();
  return w;
}

async function memories(dataDir: string): Promise<Memory[]> {
  const store = SqliteMemoryStore.open(join(dataDir, "memories.db"));
  try {
    return (await store.list({ filters: { user_id: "tester" }, limit: 100 })).memories;
  } finally {
    await store.close();
  }
}

async function waitForMemories(dataDir: string, n: number, w: Watch): Promise<Memory[]> {
  let mems: Memory[] = [];
  await until(
    async () => {
      mems = existsSync(join(dataDir, "memories.db")) ? await memories(dataDir) : [];
      return mems.length >= n;
    },
    () => `${n} memories, have ${mems.length}; watch said:\n${w.stderr()}`,
  );
  return mems;
}

/** Waits until the watcher has read `path`, as it is now, to its end (what it stores is then in the store). */
async function waitForRead(dataDir: string, path: string): Promise<void> {
  const size = statSync(path).size;
  await until(() => {
    if (!existsSync(transcriptStatePath(dataDir))) return false;
    const s = TranscriptState.open(transcriptStatePath(dataDir), { readonly: true });
    try {
      const f = s.file(path);
      return f !== null && f.size === size && f.offset === f.size;
    } finally {
      s.close();
    }
  }, `the watcher to read ${path}`);
}

const firstLines = (ms: Memory[]) => ms.map((m) => m.memory.split("\n")[0]).sort();

describe("watch", () => {
  it("stores a new session, then an episode appended to it, each once", async () => {
    const dir = tempDataDir();
    const projects = join(dir, "projects");
    writeLines(join(projects, "-home-dev-acme-api", "placeholder.txt"), []);
    const w = await startWatch(dir, projects);

    const lines = fixtureLines(AGENTIC);
    const resumeAt = lines.findIndex((l) => l.includes('"content":"should I clear the cache too?"'));
    const path = transcriptIn(projects, AGENTIC);
    writeLines(path, lines.slice(0, resumeAt));
    expect(firstLines(await waitForMemories(dir, 1, w))).toEqual([
      "User: why is the build flaky? Look at the notes.",
    ]);

    appendLines(path, lines.slice(resumeAt));
    const both = await waitForMemories(dir, 2, w);
    expect(firstLines(both)).toEqual([
      "User: should I clear the cache too?",
      "User: why is the build flaky? Look at the notes.",
    ]);
    expect(both.every((m) => m.metadata.source === "transcript" && m.metadata.complete === true)).toBe(true);

    // A new project folder and a session in it.
    const other = fixtureLines(FIX).map((l) => l.replaceAll("/home/dev/acme-api", "/home/dev/new"));
    writeLines(transcriptIn(projects, FIX, "-home-dev-new"), other);
    const three = await waitForMemories(dir, 3, w);
    expect(three.find((m) => m.run_id === FIX)?.app_id).toBe("/home/dev/new");

    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    expect(w.stderr()).toContain("stopped: 3 episodes stored in this run");
    expect(await memories(dir)).toHaveLength(3);
  });

  it("survives kill -9 mid-file and resumes where it stopped; a truncated or replaced file is read again, nothing twice", async () => {
    const dir = tempDataDir();
    const projects = join(dir, "projects");
    const lines = fixtureLines(FIX);
    const cut = lines.findIndex((l) => l.includes('"name":"Edit"')) + 1;
    const path = transcriptIn(projects, FIX);
    writeLines(path, lines.slice(0, cut)); // the episode is half done

    let w = await startWatch(dir, projects);
    const state = () => TranscriptState.open(transcriptStatePath(dir), { readonly: true });
    await until(() => {
      if (!existsSync(transcriptStatePath(dir))) return false;
      const s = state();
      try {
        return s.file(path) !== null;
      } finally {
        s.close();
      }
    }, "the watcher to read the half-done episode");
    const s1 = state();
    const saved = s1.file(path);
    s1.close();
    expect(saved?.offset).toBeGreaterThan(0); // it stopped at the start of the open episode
    expect(saved?.offset).toBeLessThan(saved?.size ?? 0);
    expect(await memories(dir)).toHaveLength(0);

    w.child.kill("SIGKILL");
    await w.exited;
    appendLines(path, lines.slice(cut)); // the episode ends while nobody watches
    w = await startWatch(dir, projects);
    const [ep] = await waitForMemories(dir, 1, w);
    expect(ep?.metadata.complete).toBe(true);
    expect(ep?.memory).toContain("- Edit math.js");

    // Truncated to half: read from the start again; everything in it is known.
    const agentic = fixtureLines(AGENTIC);
    const apath = transcriptIn(projects, AGENTIC);
    writeLines(apath, agentic);
    await waitForMemories(dir, 3, w);
    const resumeAt = agentic.findIndex((l) => l.includes('"content":"should I clear the cache too?"'));
    writeLines(apath, agentic.slice(0, resumeAt));
    await waitForRead(dir, apath); // the state now ends where the shorter file does
    // Rotated: the file is moved away and a new one takes its name, with another session's lines.
    renameSync(apath, `${apath}.old`);
    writeLines(apath, fixtureLines(SUBAGENT));
    const all = await waitForMemories(dir, 4, w);
    rmSync(`${apath}.old`);
    expect(firstLines(all)).toEqual([
      "User: add() returns the wrong result, please fix math.js",
      "User: should I clear the cache too?",
      "User: which files are in this project? Use a helper agent.",
      "User: why is the build flaky? Look at the notes.",
    ]);
    await waitForRead(dir, apath);
    expect(await memories(dir)).toHaveLength(4);
  });

  it("running beside the proxy, every episode is stored once, whichever path sees it first", async () => {
    h = await startHarness();
    const projects = join(h.dir, "projects");
    writeLines(join(projects, "-home-dev-acme-api", "placeholder.txt"), []);
    const w = await startWatch(h.dir, projects);

    // The proxy first, then Claude Code's transcript of the same session.
    await replaySession(h, "fix-with-error/requests.jsonl", "reverse");
    await h.waitForStored(1);
    const fix = transcriptIn(projects, FIX);
    writeLines(fix, fixtureLines(FIX));
    await waitForRead(h.dir, fix);

    // The transcript first, then the proxy.
    const sub = transcriptIn(projects, SUBAGENT);
    writeLines(sub, fixtureLines(SUBAGENT));
    await waitForMemories(h.dir, 2, w);
    const duplicates = h.proxy.stats().duplicates;
    await replaySession(h, "subagent/requests.jsonl", "reverse");
    await until(() => h?.proxy.stats().duplicates === duplicates + 1, "the proxy to find the episode stored");

    const mems = await h.captured();
    expect(mems.map((m) => [m.run_id, m.metadata.source]).sort()).toEqual([
      [FIX, "capture"],
      [SUBAGENT, "transcript"],
    ]);
  });
});

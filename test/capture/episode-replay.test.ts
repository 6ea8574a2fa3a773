import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Memory } from "../../src/core/types.js";
import { type Harness, startHarness, until } from "./support/harness.js";
import { type ReplayMode, replaySession } from "./support/session-replay.js";

/**
 * The three recorded Claude Code sessions replayed through the real proxy,
 * in both modes, against the strict stub answering the recorded replies:
 * one memory per question the person asked.
 */

const PROJECT = "/home/dev/acme-api";
/** Markers that live only inside tool-result bodies of the recordings (file contents, command output). */
const TOOL_RESULT_ONLY = [
  "NOISEBLOCK-fx01",
  "flaky: the cache key omits the locale",
  "export const add",
  "has been updated successfully",
];

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function bySession(mems: Memory[], prefix: string): Memory[] {
  return mems.filter((m) => m.run_id?.startsWith(prefix));
}

/** Every byte the capture wrote to the data directory: databases, WAL files, status. */
function dataDirBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => !f.endsWith(".pem") && f !== "ca")
    .map((f) => {
      try {
        return readFileSync(join(dir, f)).toString("latin1");
      } catch {
        return "";
      }
    })
    .join("\n");
}

/**
 * Raw exchanges are journaled before the client sees the end of a reply;
 * once capture is idle their traces are scrubbed from the files.
 */
async function expectNoToolResultBodies(h: Harness, mems: Memory[]): Promise<void> {
  const stored = JSON.stringify(mems);
  await until(
    () => TOOL_RESULT_ONLY.every((marker) => !dataDirBytes(h.dir).includes(marker)),
    "raw exchanges scrubbed from the data directory",
  );
  const disk = dataDirBytes(h.dir);
  // The check reads the real files: the person's words are there.
  expect(disk).toContain((mems[0] as Memory).memory.split("\n")[0]?.slice(6));
  for (const marker of TOOL_RESULT_ONLY) {
    expect(stored, `stored memories hold "${marker}"`).not.toContain(marker);
    expect(disk, `the data directory holds "${marker}"`).not.toContain(marker);
  }
}

describe.each<ReplayMode>(["reverse", "forward"])("recorded sessions through the proxy (%s mode)", (mode) => {
  it("an agentic task with Read and Bash is one episode; the resumed follow-up adds exactly one", async () => {
    h = await startHarness();
    await replaySession(h, "agentic-read-bash/requests.jsonl", mode);
    const first = bySession(await h.waitForStored(1), "d41c6f09");
    expect(first).toHaveLength(1);
    const ep = first[0] as Memory;
    expect(ep.app_id).toBe(PROJECT);
    expect(ep.memory).toBe(
      [
        "User: why is the build flaky? Look at the notes.",
        "Assistant: The build is flaky because the cache key omits the locale. Add the locale to the cache key in the build config.",
        "Trace:",
        "- Read notes.md",
        "- Bash: cat cause.txt",
      ].join("\n"),
    );
    expect(ep.metadata).toMatchObject({
      source: "capture",
      kind: "episode",
      complete: true,
      files_read: [`${PROJECT}/notes.md`],
      files_changed: [],
      commands: ["cat cause.txt"],
      tools: ["Read", "Bash"],
      requests: 3,
      stop_reason: "end_turn",
    });
    expect(String(ep.metadata.client)).toContain("claude-cli/2.1.197");
    expect(ep.metadata).not.toHaveProperty("turn_key");

    await replaySession(h, "agentic-read-bash/requests-resume.jsonl", mode);
    const both = bySession(await h.waitForStored(2), "d41c6f09");
    expect(both).toHaveLength(2);
    const follow = both.find((m) => m.id !== ep.id) as Memory;
    expect(follow.memory).toBe(
      "User: should I clear the cache too?\nAssistant: Yes: clear the old cache once after changing the key, then CI stays green.",
    );
    expect(follow.metadata).toMatchObject({ requests: 1, complete: true, tools: [] });
    await expectNoToolResultBodies(h, both);
  });

  it("a fix with a failing command, thinking and an Edit is one episode naming the error and the change", async () => {
    h = await startHarness();
    await replaySession(h, "fix-with-error/requests.jsonl", mode);
    const mems = bySession(await h.waitForStored(1), "200c8d9c");
    expect(mems).toHaveLength(1);
    const ep = mems[0] as Memory;
    expect(ep.memory).toBe(
      [
        "User: add() returns the wrong result, please fix math.js",
        "Assistant: Fixed: add() subtracted instead of adding (math.js). add(2, 3) now returns 5. We decided to keep math.js dependency-free.",
        "Trace:",
        "- Bash: node --test missing-dir → error: Exit code 1: Could not find '/home/dev/acme-api/missing-dir'",
        "- (The test path is wrong; the bug is likely in math.js. Reading it.)",
        "- Read math.js",
        "- (add() subtracts. Fixing it.)",
        "- Edit math.js",
        `- Bash: node -e "import('./math.js').then(m => console.log(m.add(2, 3)))"`,
      ].join("\n"),
    );
    expect(ep.memory).not.toContain("Run the tests first"); // thinking is never stored
    expect(ep.metadata).toMatchObject({
      files_read: [`${PROJECT}/math.js`],
      files_changed: [`${PROJECT}/math.js`],
      commands: [
        "node --test missing-dir",
        `node -e "import('./math.js').then(m => console.log(m.add(2, 3)))"`,
      ],
      tools: ["Bash", "Read", "Edit"],
      requests: 5,
      complete: true,
    });
    await expectNoToolResultBodies(h, mems);
  });

  it("a sub-agent adds no memory of its own; the parent's trace names the delegation and its result", async () => {
    h = await startHarness();
    const skipped = h.proxy.stats().skippedNoise;
    await replaySession(h, "subagent/requests.jsonl", mode);
    const mems = await h.waitForStored(1);
    expect(mems).toHaveLength(1);
    const ep = mems[0] as Memory;
    expect(ep.run_id).toMatch(/^27cba72f/);
    expect(ep.memory).toBe(
      [
        "User: which files are in this project? Use a helper agent.",
        "Assistant: The project has three files: cause.txt, math.js and notes.md.",
        "Trace:",
        "- Agent: List project files → There are three files: cause.txt, math.js and notes.md.",
      ].join("\n"),
    );
    expect(ep.metadata).toMatchObject({
      tools: ["Agent"],
      subagents: ["List project files → There are three files: cause.txt, math.js and notes.md."],
      requests: 2,
    });
    expect(JSON.stringify(mems)).not.toContain("SUBTASK-fx01");
    // The HEAD probe and the sub-agent's two requests.
    expect(h.proxy.stats().skippedNoise - skipped).toBe(3);
  });
});

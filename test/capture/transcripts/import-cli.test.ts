import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Memory } from "../../../src/core/types.js";
import { SqliteMemoryStore } from "../../../src/store/sqlite/sqlite-store.js";
import { hasScript, runCli, runCliOnTty, tempDataDir } from "../../support/cli.js";
import {
  AGENTIC,
  age,
  appendLines,
  copyProjects,
  FIX,
  fixtureLines,
  PROJECT,
  transcriptIn,
  writeLines,
} from "./support/transcripts.js";

/** `import --from claude-code` through the real CLI, on real files in temp dirs. */

const ENV = { DEFAULT_USER_ID: "tester" };
const HOUR = 3_600_000;

interface Summary {
  files: { total: number; read: number; unchanged: number; withProblems: number; otherProject: number };
  lines: { skipped: number };
  episodes: {
    found: number;
    stored: number;
    known: number;
    incomplete: number;
    inProgress: number;
    filtered: number;
  };
  projects: { project: string; files: number; episodes: { stored: number } }[];
  problems: { path: string; count: number; lines: { line: number; reason: string }[] }[];
}

async function importJson(dir: string, projects: string, ...flags: string[]): Promise<Summary> {
  const r = await runCli(
    ["--data-dir", dir, "import", "--from", "claude-code", projects, "--json", ...flags],
    { env: ENV },
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

async function stored(dir: string): Promise<Memory[]> {
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  try {
    return (await store.list({ filters: { user_id: "tester" }, limit: 100 })).memories;
  } finally {
    await store.close();
  }
}

describe("import --from claude-code", () => {
  it("imports every session once: a second run stores nothing, and a session that grew adds only its new episode", async () => {
    const dir = tempDataDir();
    const projects = join(dir, "projects");
    const path = transcriptIn(projects, AGENTIC);
    const lines = fixtureLines(AGENTIC);
    // The resumed run's first line: its queue operation, before the person's words.
    const resumeAt = lines.findIndex((l) => l.includes('"content":"should I clear the cache too?"'));
    writeLines(path, lines.slice(0, resumeAt)); // up to the first answer and its last-prompt line

    const first = await importJson(dir, projects);
    expect(first.episodes).toMatchObject({ found: 1, stored: 1, known: 0 });
    const again = await importJson(dir, projects);
    expect(again.files).toMatchObject({ read: 0, unchanged: 1 });
    expect(again.episodes.stored).toBe(0);
    expect(await stored(dir)).toHaveLength(1);

    appendLines(path, lines.slice(resumeAt)); // Claude Code --resume appends to the same file
    const grown = await importJson(dir, projects);
    expect(grown.episodes).toMatchObject({ found: 1, stored: 1, known: 0 });
    const mems = await stored(dir);
    expect(mems.map((m) => m.memory.split("\n")[0]).sort()).toEqual([
      "User: should I clear the cache too?",
      "User: why is the build flaky? Look at the notes.",
    ]);

    // --rescan reads every file from the start: everything is known, nothing stored twice.
    const rescan = await importJson(dir, projects, "--rescan");
    expect(rescan.episodes).toMatchObject({ found: 2, stored: 0, known: 2 });
    expect(await stored(dir)).toHaveLength(2);
  });

  it("--dry-run counts per project and writes nothing; --project and --since narrow what is read", async () => {
    const dir = tempDataDir();
    const projects = copyProjects(dir);
    // A second project: the fix session again, as if run in /home/dev/other.
    const other = fixtureLines(FIX).map((l) =>
      l
        .replaceAll("/home/dev/acme-api", "/home/dev/other")
        .replaceAll(FIX, "11111111-2222-4333-8444-555555555555"),
    );
    writeLines(transcriptIn(projects, "11111111-2222-4333-8444-555555555555", "-home-dev-other"), other);

    const dry = await importJson(dir, projects, "--dry-run");
    expect(dry.episodes.stored).toBe(5);
    expect(dry.projects.map((p) => [p.project, p.files, p.episodes.stored]).sort()).toEqual([
      ["/home/dev/acme-api", 3, 4],
      ["/home/dev/other", 1, 1],
    ]);
    expect(await stored(dir)).toHaveLength(0);
    expect(existsSync(join(dir, "transcripts.db"))).toBe(false);
    const text = await runCli(["--data-dir", dir, "import", "--from", "claude-code", projects, "--dry-run"], {
      env: ENV,
    });
    expect(text.stdout).toContain("dry run (nothing written)");
    expect(text.stdout).toMatch(/\/home\/dev\/other +1 file +would store 1/);

    const only = await importJson(dir, projects, "--project", "/home/dev/other");
    expect(only.files).toMatchObject({ total: 1, read: 1 });
    expect((await stored(dir)).map((m) => m.app_id)).toEqual(["/home/dev/other"]);

    // The agentic session's two episodes start before 03:05; the fix and the sub-agent after.
    const since = await importJson(dir, projects, "--since", "2026-12-02T03:05:00Z", "--project", PROJECT);
    expect(since.episodes).toMatchObject({ stored: 2, filtered: 2 });
    // Left out by --since, the agentic session is still read in full by a later run.
    const rest = await importJson(dir, projects);
    expect(rest.episodes.stored).toBe(2);
    expect(await stored(dir)).toHaveLength(5);
  });

  it("a transcript with garbage, an unknown entry type and a cut last line imports the rest and reports each line", async () => {
    const dir = tempDataDir();
    const projects = join(dir, "projects");
    const lines = fixtureLines(FIX);
    const path = transcriptIn(projects, FIX);
    const damaged = [
      ...lines.slice(0, 3),
      "{this is not json",
      '{"type":"telemetry-snapshot","uuid":"x-1","parentUuid":null,"sessionId":"s"}',
      "[1,2,3]",
      ...lines.slice(3),
    ];
    writeLines(path, damaged);
    appendLines(path, []);
    // A last line cut in the middle (no line ending), as a crash leaves it.
    const { appendFileSync } = await import("node:fs");
    appendFileSync(path, '{"type":"assistant","message":{"id":"msg_cut","content":[{"type":"te');
    age(path, HOUR);
    const garbage = transcriptIn(projects, "00000000-0000-4000-8000-000000000000");
    writeLines(garbage, ["\u0000\u0001binary", "", "null"]);

    const r = await importJson(dir, projects);
    expect(r.episodes).toMatchObject({ stored: 1 });
    const problems = r.problems.find((p) => p.path === path);
    expect(problems?.lines).toEqual([
      { line: 4, offset: expect.any(Number), reason: "not valid JSON" },
      { line: 5, offset: expect.any(Number), reason: 'unknown entry type "telemetry-snapshot"' },
      { line: 6, offset: expect.any(Number), reason: "not a JSON object" },
      {
        line: damaged.length + 1,
        offset: expect.any(Number),
        reason: "truncated last line (not valid JSON)",
      },
    ]);
    expect(r.problems.find((p) => p.path === garbage)?.count).toBe(2);
    expect(r.files.withProblems).toBe(2);
    const [ep] = await stored(dir);
    expect(ep?.memory).toContain("Assistant: Fixed: add() subtracted instead of adding");
    expect(ep?.metadata.complete).toBe(true);

    const text = await runCli(["--data-dir", dir, "import", "--from", "claude-code", projects, "--rescan"], {
      env: ENV,
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("lines not read: 6 in 2 files");
    expect(text.stdout).toContain(
      `${path}: line 4: not valid JSON; line 5: unknown entry type "telemetry-snapshot"`,
    );
  });

  it("an episode cut before its answer is never stored as whole: in progress while fresh, incomplete once idle", async () => {
    const dir = tempDataDir();
    const projects = join(dir, "projects");
    const lines = fixtureLines(FIX);
    const cut = lines.findIndex((l) => l.includes('"name":"Edit"')) + 1; // the Edit was asked for, no result yet
    const path = transcriptIn(projects, FIX);
    writeLines(path, lines.slice(0, cut));

    const fresh = await importJson(dir, projects);
    expect(fresh.episodes).toMatchObject({ stored: 0, inProgress: 1 });
    expect(await stored(dir)).toHaveLength(0);

    age(path, HOUR);
    const idle = await importJson(dir, projects);
    expect(idle.episodes).toMatchObject({ stored: 1, incomplete: 1 });
    const [partial] = await stored(dir);
    expect(partial?.metadata).toMatchObject({
      complete: false,
      incomplete_reason: "abandoned: no request for 5 min",
    });
    expect(partial?.memory).toContain("[episode incomplete: abandoned: no request for 5 min]");
    expect(partial?.memory).not.toContain("Assistant:");

    // The session went on after all: the complete episode replaces the incomplete one.
    appendLines(path, lines.slice(cut));
    const done = await importJson(dir, projects);
    expect(done.episodes).toMatchObject({ stored: 1, incomplete: 0 });
    const mems = await stored(dir);
    expect(mems).toHaveLength(1);
    expect(mems[0]?.metadata.complete).toBe(true);
  });

  it("shows progress on a terminal, and status and doctor report the last run", async () => {
    const dir = tempDataDir();
    const projects = copyProjects(dir);
    if (hasScript()) {
      const tty = await runCliOnTty(["--data-dir", dir, "import", "--from", "claude-code", projects], {
        env: ENV,
      });
      expect(tty.code).toBe(0);
      expect(tty.output).toMatch(/\rtranscripts: 3\/3 \(100%\), \d+ episodes?, /);
    } else {
      console.log("skipped the terminal check: util-linux `script` is not installed");
      expect((await importJson(dir, projects)).episodes.stored).toBe(4);
    }
    const status = await runCli(["--data-dir", dir, "status", "--json"], { env: ENV });
    const t = (
      JSON.parse(status.stdout) as {
        transcripts: {
          files: number;
          episodes: number;
          lastImport: { state: string; episodesStored: number };
        };
      }
    ).transcripts;
    expect(t).toMatchObject({ files: 3, episodes: 4, lastImport: { state: "done", episodesStored: 4 } });
    const text = await runCli(["--data-dir", dir, "status"], { env: ENV });
    expect(text.stdout).toContain(
      "transcripts:  3 files read, 4 episodes stored from them, 0 files with lines not read",
    );
    const doctor = await runCli(["--data-dir", dir, "doctor", "--json"], { env: ENV });
    const check = (
      JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }
    ).checks.find((c) => c.name === "transcripts");
    expect(check).toMatchObject({ ok: true, detail: expect.stringContaining("4 episodes from 3 files") });

    const never = await runCli(["--data-dir", tempDataDir(), "status"], { env: ENV });
    expect(never.stdout).toContain("import --from claude-code");
  });

  it("says what is wrong instead of failing on record 1", async () => {
    const dir = tempDataDir();
    const missing = await runCli(["--data-dir", dir, "import", "--from", "claude-code"], {
      env: ENV,
      cwd: dir,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no Claude Code transcripts at ${join(dir, ".claude", "projects")}`);
    const viaEnv = await runCli(["--data-dir", dir, "import", "--from", "claude-code", "--dry-run"], {
      env: { ...ENV, CLAUDE_CONFIG_DIR: join(dir, "cc") },
    });
    expect(viaEnv.stderr).toContain(`no Claude Code transcripts at ${join(dir, "cc", "projects")}`);
    const wrong = await runCli(["--data-dir", dir, "import", "--from", "cursor", dir], { env: ENV });
    expect([wrong.code, wrong.stderr]).toEqual([2, 'error: --from must be claude-code, not "cursor"\n']);
    const flag = await runCli(["--data-dir", dir, "import", "x.jsonl", "--dry-run"], { env: ENV });
    expect([flag.code, flag.stderr]).toEqual([2, "error: --dry-run needs --from claude-code\n"]);
  });
});

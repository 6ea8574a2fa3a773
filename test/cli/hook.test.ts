import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECALL_CLOSE, RECALL_OPEN } from "../../src/core/recall/recall-notes.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type RunResult, runCli, tempDataDir } from "../support/cli.js";

/**
 * `hook <EventName>` driven as Claude Code drives it: the event's JSON on
 * stdin, the built CLI in a child process, the printed JSON checked.
 */

const PROJECT = "/home/dev/acme-api";
const OTHER = "/home/dev/blog";
const SESSION = "7d1f6a2e-0b7c-4d8e-9a51-3c2f1e0d9b88";

function hook(
  event: string,
  input: string | Record<string, unknown>,
  dataDir: string,
  env: Record<string, string> = {},
  keepStdinOpen = false,
): Promise<RunResult> {
  return runCli(["hook", event], {
    env: { HOME: dataDir, MEMORY_DATA_DIR: dataDir, ...env },
    cwd: dataDir,
    input: typeof input === "string" ? input : JSON.stringify(input),
    keepStdinOpen,
  });
}

/** The fields Claude Code sends with every event. */
function common(event: string, session = SESSION) {
  return {
    session_id: session,
    transcript_path: `/home/dev/.claude/projects/-home-dev-acme-api/${session}.jsonl`,
    cwd: PROJECT,
    hook_event_name: event,
  };
}

const prompt = (text: string, session = SESSION) => ({
  ...common("UserPromptSubmit", session),
  permission_mode: "default",
  prompt: text,
});
const start = (source: string, session = SESSION) => ({ ...common("SessionStart", session), source });

function contextOf(r: RunResult, event: string): string {
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as {
    hookSpecificOutput: { hookEventName: string; additionalContext: string };
  };
  expect(Object.keys(out)).toEqual(["hookSpecificOutput"]);
  expect(out.hookSpecificOutput.hookEventName).toBe(event);
  const ctx = out.hookSpecificOutput.additionalContext;
  expect(ctx.startsWith(`${RECALL_OPEN}\nNotes from past sessions`)).toBe(true);
  expect(ctx).toContain("not instructions");
  expect(ctx.endsWith(RECALL_CLOSE)).toBe(true);
  return ctx;
}

function episode(user: string, answer: string) {
  return `User: ${user}\nAssistant: ${answer}\nTrace:\n- Read src/app.ts`;
}

describe("hook <EventName>", () => {
  const dir = tempDataDir("mmm-hook-");
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    const add = async (key: string, input: Parameters<typeof store.add>[0]) => {
      const r = await store.add(input);
      if (!r.memory) throw new Error(`no memory for ${key}`);
      ids[key] = r.memory.id;
    };
    const ep = { kind: "episode", complete: true };
    await add("deploy", {
      user_id: "default_user",
      app_id: PROJECT,
      run_id: "old-session-1",
      memory: episode(
        "the staging deploy fails with a certificate error",
        "Fixed: the staging deploy needed NODE_EXTRA_CA_CERTS pointing at the corporate bundle (deploy.sh).",
      ),
      metadata: ep,
      categories: ["conversation"],
      created_at: "2026-11-02T10:00:00.000Z",
    });
    await add("migrations", {
      user_id: "default_user",
      app_id: PROJECT,
      run_id: "old-session-2",
      memory: episode(
        "add a created_at index to the orders table",
        "Added migration 0042 with an index on orders.created_at.",
      ),
      metadata: ep,
      categories: ["conversation"],
      created_at: "2026-11-20T09:00:00.000Z",
    });
    await add("own", {
      user_id: "default_user",
      app_id: PROJECT,
      run_id: SESSION,
      memory: episode(
        "why does the staging deploy certificate check fail again",
        "Looking at the staging deploy certificate setup now.",
      ),
      metadata: ep,
      categories: ["conversation"],
      created_at: "2026-12-01T09:00:00.000Z",
    });
    await add("blog", {
      user_id: "default_user",
      app_id: OTHER,
      run_id: "blog-session",
      memory: episode("write a post about sourdough", "Drafted the sourdough post."),
      metadata: ep,
      categories: ["conversation"],
      created_at: "2026-11-25T09:00:00.000Z",
    });
    await add("pref", {
      user_id: "default_user",
      memory: "Prefers pnpm over npm and small commits",
      categories: ["preferences", "preference"],
      metadata: { source: "insights", type: "preference" },
    });
    await add("todo", {
      user_id: "default_user",
      app_id: PROJECT,
      memory: "Finish the retry logic in the payment webhook",
      categories: ["coding", "todo"],
      metadata: { source: "insights", type: "todo" },
    });
    await add("otheruser", {
      user_id: "someone_else",
      app_id: PROJECT,
      memory: "someone else's staging deploy certificate note",
    });
    await store.close();
  });

  afterAll(() => {
    // Per-session state stays bounded: one small file per session.
    expect(readdirSync(join(dir, "hook-sessions")).every((n) => n.endsWith(".json"))).toBe(true);
  });

  it("UserPromptSubmit adds the relevant past episode with its date and project, never this session's own", async () => {
    const r = await hook(
      "UserPromptSubmit",
      prompt("the staging deploy fails with a certificate error again, what did we do?"),
      dir,
    );
    const ctx = contextOf(r, "UserPromptSubmit");
    expect(ctx).toContain(
      "- [2026-11-02, this project] User: the staging deploy fails with a certificate error",
    );
    expect(ctx).toContain("NODE_EXTRA_CA_CERTS");
    expect(ctx).not.toContain("Looking at the staging deploy certificate setup now"); // this session's episode
    expect(ctx).not.toContain("someone else"); // another user's memory
    expect(ctx).not.toContain("Trace:"); // episodes are shown by their words and answer
    expect(ctx.length).toBeLessThanOrEqual(1500);
    // The hook's read is in the audit log, as coming from the hook, without the prompt's text.
    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8");
    const records = audit
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { entry: string; op: string });
    expect(records.some((r) => r.entry === "hook" && r.op === "search")).toBe(true);
    expect(audit).not.toContain("certificate");
  });

  it("does not add the same memory twice to one session, but does once it changed, and to another session", async () => {
    const again = await hook(
      "UserPromptSubmit",
      prompt("staging deploy certificate error, same as before?"),
      dir,
    );
    expect(again).toEqual({ code: 0, stdout: "", stderr: "" });

    const other = await hook(
      "UserPromptSubmit",
      prompt("staging deploy certificate error, same as before?", "another-session"),
      dir,
    );
    expect(contextOf(other, "UserPromptSubmit")).toContain("NODE_EXTRA_CA_CERTS");

    const store = SqliteMemoryStore.open(join(dir, "memories.db"));
    await store.update(ids.deploy ?? "", {
      memory: episode(
        "the staging deploy fails with a certificate error",
        "Fixed for good: deploy.sh now ships the corporate bundle via NODE_EXTRA_CA_CERTS.",
      ),
    });
    await store.close();
    const changed = await hook(
      "UserPromptSubmit",
      prompt("staging deploy certificate error, same as before?"),
      dir,
    );
    expect(contextOf(changed, "UserPromptSubmit")).toContain("Fixed for good");
  });

  it("adds nothing when nothing clears the relevance threshold", async () => {
    const r = await hook("UserPromptSubmit", prompt("rename the variable foo to bar in utils"), dir);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    // A weaker match than the threshold asks for: one word of six.
    const weak = await hook(
      "UserPromptSubmit",
      prompt("explain quantum entanglement using simple words orders"),
      dir,
      { RECALL_MIN_SCORE: "0.9" },
    );
    expect(weak.stdout).toBe("");
  });

  it("a short prompt is searched with the session's previous prompts", async () => {
    const session = "short-prompt-session";
    // The first prompt finds nothing at a threshold this high, but the session remembers it.
    const first = await hook(
      "UserPromptSubmit",
      prompt("the orders table created_at index, like the sourdough post", session),
      dir,
      {
        RECALL_MIN_SCORE: "1",
      },
    );
    expect(first.stdout).toBe("");
    const alone = await hook("UserPromptSubmit", prompt("how big is that one?", "fresh-session"), dir);
    expect(alone.stdout).toBe("");
    const short = await hook("UserPromptSubmit", prompt("how big is that one?", session), dir);
    expect(contextOf(short, "UserPromptSubmit")).toContain("migration 0042");
  });

  it("keeps to RECALL_MAX_CHARS", async () => {
    const r = await hook(
      "UserPromptSubmit",
      prompt(
        "staging deploy certificate error and the orders table created_at index migration",
        "budget-session",
      ),
      dir,
      { RECALL_MAX_CHARS: "420" },
    );
    const ctx = contextOf(r, "UserPromptSubmit");
    expect(ctx.length).toBeLessThanOrEqual(420);
    expect(ctx.match(/^- \[/gm)?.length).toBe(1);
  });

  for (const source of ["startup", "resume", "clear", "compact"]) {
    it(`SessionStart (${source}) briefs on this project: preferences, open work, last sessions`, async () => {
      const r = await hook("SessionStart", start(source, `brief-${source}`), dir);
      const ctx = contextOf(r, "SessionStart");
      expect(ctx).toContain("Stated preferences:\n- [");
      expect(ctx).toContain("Prefers pnpm over npm");
      expect(ctx).toContain("Open work:\n- [");
      expect(ctx).toContain("payment webhook");
      expect(ctx).toContain("Last sessions in this project:");
      expect(ctx).toContain("migration 0042");
      expect(ctx).not.toContain("sourdough"); // another project's episode
      expect(ctx.length).toBeLessThanOrEqual(1500);
    });
  }

  it("SessionStart leaves out the session's own episodes, and after clear or compact may repeat what it said", async () => {
    const first = contextOf(await hook("SessionStart", start("resume"), dir), "SessionStart");
    expect(first).not.toContain("Looking at the staging deploy certificate setup now");
    const resumedAgain = await hook("SessionStart", start("resume"), dir);
    // Everything was shown already in this session: nothing new to say.
    expect(resumedAgain.stdout).toBe("");
    const compacted = contextOf(await hook("SessionStart", start("compact"), dir), "SessionStart");
    expect(compacted).toContain("Prefers pnpm over npm");
  });

  it("a failing hook prints nothing and exits 0: corrupt input, wrong event, missing or corrupt store, a lock, a timeout", async () => {
    const silent = { code: 0, stdout: "", stderr: "" };
    expect(await hook("UserPromptSubmit", "{not json", dir)).toEqual(silent);
    expect(await hook("UserPromptSubmit", "[]", dir)).toEqual(silent);
    expect(await hook("UserPromptSubmit", { ...common("UserPromptSubmit") }, dir)).toEqual(silent); // no prompt
    expect(await hook("UserPromptSubmit", start("startup"), dir)).toEqual(silent); // another event's JSON
    expect(await hook("Stop", { ...common("Stop") }, dir)).toEqual(silent);

    const empty = tempDataDir("mmm-hook-empty-");
    expect(await hook("SessionStart", start("startup"), empty)).toEqual(silent);
    const corrupt = tempDataDir("mmm-hook-corrupt-");
    writeFileSync(join(corrupt, "memories.db"), "this is not a database file at all ".repeat(200));
    expect(await hook("UserPromptSubmit", prompt("staging deploy certificate"), corrupt)).toEqual(silent);

    // Another process holds the database exclusively.
    const db = new Database(join(dir, "memories.db"));
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    try {
      const locked = await hook(
        "UserPromptSubmit",
        prompt("the staging deploy fails with a certificate error", "locked-session"),
        dir,
      );
      expect(locked).toEqual(silent);
    } finally {
      db.exec("ROLLBACK");
      db.close();
    }

    // stdin never closes: HOOK_TIMEOUT_MS ends it.
    const stuck = await hook("UserPromptSubmit", '{"prompt":', dir, { HOOK_TIMEOUT_MS: "300" }, true);
    expect(stuck).toEqual(silent);

    // --debug says why on stderr, still nothing on stdout.
    const debug = await hook("UserPromptSubmit", "{not json", dir, { MEMORY_LOG_LEVEL: "debug" });
    expect(debug.code).toBe(0);
    expect(debug.stdout).toBe("");
    expect(debug.stderr).toContain("stdin is not JSON");
  });
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HookInput, runHook } from "../../src/cli/hook/run-hook.js";
import { sessionsDir } from "../../src/cli/hook/session-state.js";
import { loadConfig } from "../../src/cli/load-config.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDataDir } from "../support/cli.js";

/**
 * runHook's answer and its record are separate (src/cli/hook/run-hook.ts):
 * notes count as shown to a session only once the caller printed them, so an
 * answer dropped at a deadline leaves them for the next one.
 */
describe("runHook: what is printed is what is recorded", () => {
  const dir = tempDataDir("mmm-runhook-");
  const { config } = loadConfig({ env: { HOME: dir, MEMORY_DATA_DIR: dir }, cwd: dir });
  let store: SqliteMemoryStore;
  const input = (session: string): HookInput => ({
    session_id: session,
    cwd: "/home/dev/acme-api",
    prompt: "why does the staging deploy fail with a certificate error",
    source: null,
  });

  beforeAll(async () => {
    store = SqliteMemoryStore.open(join(dir, "memories.db"));
    await store.add({
      user_id: config.defaultUserId,
      app_id: "/home/dev/acme-api",
      run_id: "old",
      memory: "User: the staging deploy fails with a certificate error\nAssistant: set NODE_EXTRA_CA_CERTS",
      metadata: { kind: "episode", complete: true },
    });
  });
  afterAll(() => store.close());

  it("an uncommitted answer records nothing; a committed one once, so a repeat adds nothing", async () => {
    const deps = { config, store };
    const dropped = await runHook("UserPromptSubmit", input("s1"), deps);
    expect(dropped.text).toContain("NODE_EXTRA_CA_CERTS");
    expect(existsSync(sessionsDir(dir))).toBe(false);
    const answer = await runHook("UserPromptSubmit", input("s1"), deps);
    expect(answer.text).toBe(dropped.text);
    answer.commit();
    answer.commit();
    const [file] = readdirSync(sessionsDir(dir));
    const state = JSON.parse(readFileSync(join(sessionsDir(dir), String(file)), "utf8"));
    expect(state.shown).toHaveLength(1);
    expect(state.prompts).toEqual([input("s1").prompt]);
    const repeat = await runHook("UserPromptSubmit", input("s1"), deps);
    expect(repeat.text).toBe("");
    // Another session has its own record.
    expect((await runHook("UserPromptSubmit", input("s2"), deps)).text).toBe(dropped.text);
  });
});

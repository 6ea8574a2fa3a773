/**
 * `mcp-mitm-mem0 hook <EventName>`: what Claude Code's hooks print. Reads the
 * event's JSON (as Claude Code sends it on stdin) and answers with
 * `hookSpecificOutput.additionalContext`, or with nothing:
 * - SessionStart (startup, resume, clear, compact): a short briefing for the
 *   project (`cwd`): stated preferences and decisions, open work, the last
 *   few episodes — never the current session's own.
 * - UserPromptSubmit: the few memories that clear RECALL_MIN_SCORE for the
 *   prompt (a short prompt is searched with the session's previous ones),
 *   none of this session's episodes, none already added to this session
 *   unless it changed since.
 * Kept light on purpose (it runs on every prompt): config, the SQLite store
 * and this file, no commander, no MCP SDK, no HTTP client.
 */
import type { Config } from "../../core/config.js";
import {
  fingerprint,
  type NotesSection,
  pickForPrompt,
  promptQuery,
  renderNotes,
} from "../../core/recall/recall-notes.js";
import type { Memory, MemoryFilters } from "../../core/types.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { readSessionState, type SessionState, writeSessionState } from "./session-state.js";

export const HOOK_EVENTS = ["SessionStart", "UserPromptSubmit"] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export function isHookEvent(name: string): name is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(name);
}

/** The fields of Claude Code's hook input this command reads. */
export interface HookInput {
  session_id: string | null;
  cwd: string | null;
  prompt: string | null;
  source: string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** Claude Code's hook JSON, or an Error saying what is wrong with it. */
export function parseHookInput(text: string, event: HookEvent): HookInput | Error {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return new Error(`hook ${event}: stdin is not JSON; expected the object Claude Code sends`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return new Error(`hook ${event}: stdin is not a JSON object`);
  }
  const fields = raw as Record<string, unknown>;
  const named = str(fields.hook_event_name);
  if (named !== null && named !== event) {
    return new Error(`hook ${event}: stdin is for ${named}`);
  }
  const input = {
    session_id: str(fields.session_id),
    cwd: str(fields.cwd),
    prompt: str(fields.prompt),
    source: str(fields.source),
  };
  if (event === "UserPromptSubmit" && input.prompt === null) {
    return new Error("hook UserPromptSubmit: stdin has no prompt");
  }
  return input;
}

/** What Claude Code reads from a hook's stdout to add context. */
export function hookOutput(event: HookEvent, additionalContext: string): string {
  return `${JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext } })}\n`;
}

interface HookDeps {
  config: Config;
  store: MemoryStore;
}

/** The newest memories matching `filters`, at most `limit`, not of `sessionId`. */
async function newest(
  store: MemoryStore,
  filters: MemoryFilters,
  limit: number,
  sessionId: string | null,
): Promise<Memory[]> {
  const page = await store.list({ filters, limit: limit + 5 });
  return page.memories.filter((m) => sessionId === null || m.run_id !== sessionId).slice(0, limit);
}

/** The session-start briefing's sections for a project. */
async function briefing(deps: HookDeps, input: HookInput): Promise<NotesSection[]> {
  const user = deps.config.defaultUserId;
  const sid = input.session_id;
  const here = input.cwd ?? undefined;
  const [preferences, decisions, todos, episodes] = await Promise.all([
    newest(deps.store, { user_id: user, categories: ["preference", "preferences"] }, 3, sid),
    newest(deps.store, { user_id: user, app_id: here, categories: ["decision"] }, 3, sid),
    newest(deps.store, { user_id: user, app_id: here, categories: ["todo"] }, 3, sid),
    here === undefined
      ? Promise.resolve([])
      : newest(deps.store, { user_id: user, app_id: here, metadata: { kind: "episode" } }, 3, sid),
  ]);
  return [
    { title: "Stated preferences", memories: preferences },
    { title: "Decisions in this project", memories: decisions },
    { title: "Open work", memories: todos },
    { title: "Last sessions in this project", memories: episodes },
  ];
}

/** What one hook event prints, and the session-state change that printing it makes true. */
export interface HookAnswer {
  /** The JSON for Claude Code ("" for nothing). */
  text: string;
  /**
   * Records in the session's state what `text` added (and the prompt). Call
   * it once `text` was printed, and only then: an answer that was dropped (a
   * deadline passed, the client went away) must not mark its notes as
   * shown, or they would never reach the session.
   */
  commit(): void;
}

/**
 * Runs one hook event to what it prints and, separately, the state change
 * to record once it is printed. Throws on a store failure; the caller turns
 * every failure into silence.
 */
export async function runHook(event: HookEvent, input: HookInput, deps: HookDeps): Promise<HookAnswer> {
  const { dataDir, recall } = deps.config;
  const sid = input.session_id;
  const before: SessionState = sid ? readSessionState(dataDir, sid) : { shown: [], prompts: [] };
  // After /clear or compaction the earlier notes are gone from the context: they may be added again.
  const reset = event === "SessionStart" && (input.source === "clear" || input.source === "compact");
  const shown = new Set(reset ? [] : before.shown);
  let sections: NotesSection[];
  let prompt: string | null = null;
  if (event === "SessionStart") {
    sections = (await briefing(deps, input)).map((s) => ({
      ...s,
      memories: s.memories.filter((m) => !shown.has(fingerprint(m))),
    }));
  } else {
    prompt = input.prompt ?? "";
    const query = promptQuery(prompt, before.prompts);
    const results = await deps.store.search(query, {
      filters: { user_id: deps.config.defaultUserId },
      limit: 12,
      threshold: recall.minScore,
    });
    sections = [{ memories: pickForPrompt(results, { sessionId: sid, shown, minScore: recall.minScore }) }];
  }
  const notes = renderNotes(sections, recall.maxChars, input.cwd);
  const added = notes ? notes.shown.map(fingerprint) : [];
  let committed = false;
  return {
    text: notes ? hookOutput(event, notes.text) : "",
    commit: () => {
      if (committed || sid === null) return;
      committed = true;
      // Read again: another hook of this session may have recorded its own since.
      const now = readSessionState(dataDir, sid);
      writeSessionState(dataDir, sid, {
        shown: [...(reset ? [] : now.shown), ...added],
        prompts: prompt === null ? now.prompts : [...now.prompts, prompt],
      });
    },
  };
}

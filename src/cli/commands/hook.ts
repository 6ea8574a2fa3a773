/**
 * `hook <EventName>`: the command Claude Code's hooks run. main.ts runs it
 * without commander (see hook/hook-command.ts); this definition gives it its
 * help and catches a command line main.ts did not take as a hook (an extra
 * argument, an unknown option), which then also prints nothing and exits 0.
 */

import type { RegisterCommand } from "../context.js";
import { HOOK_EVENTS } from "../hook/run-hook.js";
import { describeCommand } from "./catalog.js";

export const registerHookCommand: RegisterCommand = (program) => {
  program
    .command("hook")
    .description(describeCommand("hook"))
    .argument("<event>", `Claude Code's hook event: ${HOOK_EVENTS.join(" or ")}`)
    .addHelpText(
      "after",
      `
Reads the event's JSON on stdin and prints {"hookSpecificOutput":{"hookEventName":...,"additionalContext":...}},
or nothing when there is nothing worth adding. Whatever fails (bad stdin, a locked store, HOOK_TIMEOUT_MS),
it prints nothing and exits 0; --debug prints the reason on stderr.
  SessionStart      a briefing for the project (cwd): preferences, decisions, open work, last sessions
  UserPromptSubmit  the memories relevant to the prompt (score >= RECALL_MIN_SCORE), never this session's
                    own, never one already added to this session unless it changed
At most RECALL_MAX_CHARS characters (default 1500) per answer. \`setup claude-code\` writes the settings.`,
    )
    .action(() => {
      // Reached only for a command line main.ts did not run as a hook: stay silent, never fail the prompt.
    });
};

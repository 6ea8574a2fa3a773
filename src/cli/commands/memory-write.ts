import { describeRedactions, redactMemoryText } from "../../core/capture/redaction-report.js";
import type { Metadata } from "../../core/types.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { addScopeOptions, collect, jsonObject, jsonOption, type ScopeFlags, scopeFrom } from "../options.js";
import { json, renderMemoryLine } from "../render.js";
import { resolveMemoryId } from "../resolve-id.js";
import { describeCommand } from "./catalog.js";

const NO_REDACT_HELP =
  "keep secrets (keys, tokens, passwords) in the text as given; by default they become [REDACTED:type]";

/** add, update, delete, forget */
export const registerWriteCommands: RegisterCommand = (program, ctx) => {
  /** On stderr, the kinds only, never the secret. */
  const sayRedacted = (redacted: readonly string[]) => {
    if (redacted.length > 0) ctx.err(`${describeRedactions(redacted)}; --no-redact keeps them`);
  };
  addScopeOptions(
    program.command("add").description(describeCommand("add")).argument("<text...>", "the text to remember"),
  )
    .option("--metadata <json>", "metadata as a JSON object", jsonObject)
    .option("-c, --category <name>", "a category (repeatable)", collect, [])
    .option("--no-redact", NO_REDACT_HELP)
    .addOption(jsonOption())
    .action(
      async (
        words: string[],
        flags: ScopeFlags & { metadata?: Metadata; category: string[]; redact: boolean; json?: boolean },
      ) => {
        const given = words.join(" ").trim();
        if (given === "") throw new UsageError("add needs some text to remember");
        const { text, redacted } = redactMemoryText(given, { keep: !flags.redact });
        const store = await ctx.store();
        const scope = scopeFrom(ctx, flags);
        const result = await store.add({
          ...scope,
          agent_id: scope.agent_id ?? ctx.config().defaultAgentId,
          memory: text,
          metadata: { source: "cli", ...flags.metadata },
          categories: flags.category,
        });
        sayRedacted(redacted);
        if (flags.json) return ctx.out(json(result));
        if (result.status === "duplicate" && result.memory) {
          ctx.err(`already remembered as ${result.memory.id}`);
          ctx.out(result.memory.id);
        } else if (result.memory) ctx.out(result.memory.id);
        else ctx.err(`accepted; the backend is processing it (event ${result.event_id ?? "?"})`);
      },
    );

  program
    .command("update")
    .description(describeCommand("update"))
    .argument("<id>", "memory id, or a unique prefix of it")
    .option("--text <text>", "the new text")
    .option("--metadata <json>", "replace metadata with this JSON object", jsonObject)
    .option("-c, --category <name>", "replace categories (repeatable)", collect, [])
    .option("--no-redact", NO_REDACT_HELP)
    .addOption(jsonOption())
    .action(
      async (
        id: string,
        flags: { text?: string; metadata?: Metadata; category: string[]; redact: boolean; json?: boolean },
      ) => {
        if (flags.text === undefined && flags.metadata === undefined && flags.category.length === 0) {
          throw new UsageError("update needs --text, --metadata or --category");
        }
        if (flags.text !== undefined && flags.text.trim() === "")
          throw new UsageError("--text must not be empty");
        const next =
          flags.text === undefined ? undefined : redactMemoryText(flags.text, { keep: !flags.redact });
        const store = await ctx.store();
        const m = await store.update(await resolveMemoryId(store, id, ctx.config().defaultUserId), {
          memory: next?.text,
          metadata: flags.metadata,
          categories: flags.category.length > 0 ? flags.category : undefined,
        });
        sayRedacted(next?.redacted ?? []);
        ctx.out(flags.json ? json(m) : renderMemoryLine(m));
      },
    );

  program
    .command("delete")
    .description(describeCommand("delete"))
    .argument("<id>", "memory id, or a unique prefix of it")
    .action(async (given: string) => {
      const store = await ctx.store();
      const id = await resolveMemoryId(store, given, ctx.config().defaultUserId);
      await store.delete(id);
      ctx.err(`deleted ${id}`);
    });

  program
    .command("forget")
    .description(describeCommand("forget"))
    .requiredOption("-u, --user <id>", "the user to forget")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (flags: { user: string; yes?: boolean }) => {
      const store = await ctx.store();
      if (!flags.yes) {
        if (!process.stdin.isTTY)
          throw new UsageError("forget asks for confirmation; pass --yes to run it unattended");
        // One page read is enough to tell the person what is at stake, on every backend.
        const page = await store.list({ filters: { user_id: flags.user }, limit: 1000 });
        const count = page.next_cursor ? "more than 1000" : String(page.memories.length);
        const { createInterface } = await import("node:readline/promises");
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(
          `Delete all ${count} memories of "${flags.user}" and their history? This cannot be undone. Type the user id to confirm: `,
        );
        rl.close();
        if (answer.trim() !== flags.user) {
          ctx.err("not confirmed; nothing deleted");
          return;
        }
      }
      const n = await store.deleteAll({ user_id: flags.user });
      ctx.err(`forgot ${flags.user}: ${n} memories deleted`);
    });
};

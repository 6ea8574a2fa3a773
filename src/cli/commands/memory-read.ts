import { Option } from "commander";
import { NotFoundError } from "../../core/errors.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import {
  addFilterOptions,
  type FilterFlags,
  filtersFrom,
  jsonOption,
  positiveInt,
  unitInterval,
} from "../options.js";
import { json, renderHistory, renderMemory, renderMemoryLine } from "../render.js";
import { resolveMemoryId } from "../resolve-id.js";
import { TERMINAL_MARKS } from "../snippet.js";
import { describeCommand } from "./catalog.js";

const fullOption = () => new Option("--full", "the whole text of each memory instead of a one-line snippet");

/** Matched words are marked when stdout is a terminal (and NO_COLOR is not set). */
function terminalMarks() {
  return process.stdout.isTTY && !process.env.NO_COLOR ? TERMINAL_MARKS : undefined;
}

/** search, list, show, history, stats */
export const registerReadCommands: RegisterCommand = (program, ctx) => {
  addFilterOptions(
    program
      .command("search")
      .description(describeCommand("search"))
      .argument("<query...>", "what to look for"),
  )
    .option("-n, --limit <n>", "how many results", positiveInt("--limit", 1000), 10)
    .option("-t, --threshold <score>", "drop results scoring below this (0..1)", unitInterval)
    .addOption(fullOption())
    .addOption(jsonOption())
    .action(
      async (
        words: string[],
        flags: FilterFlags & { limit: number; threshold?: number; full?: boolean; json?: boolean },
      ) => {
        const query = words.join(" ");
        if (query.trim() === "") throw new UsageError("search needs a non-empty query");
        const store = await ctx.store();
        const results = await store.search(query, {
          filters: filtersFrom(ctx, flags),
          limit: flags.limit,
          threshold: flags.threshold,
        });
        if (flags.json) return ctx.out(json(results));
        if (results.length === 0) return ctx.err("no memories matched");
        const line = { query, full: flags.full, marks: terminalMarks() };
        ctx.out(results.map((m) => renderMemoryLine(m, line)).join("\n"));
      },
    );

  addFilterOptions(program.command("list").description(describeCommand("list")))
    .option("-n, --limit <n>", "page size", positiveInt("--limit", 10_000), 20)
    .option("--cursor <cursor>", "continue from a previous page's cursor")
    .option("--all", "every page, not just the first")
    .addOption(fullOption())
    .addOption(jsonOption())
    .action(
      async (
        flags: FilterFlags & {
          limit: number;
          cursor?: string;
          all?: boolean;
          full?: boolean;
          json?: boolean;
        },
      ) => {
        const store = await ctx.store();
        const filters = filtersFrom(ctx, flags);
        let cursor = flags.cursor;
        const all = [];
        let next: string | null = null;
        do {
          const page = await store.list({ filters, limit: flags.limit, cursor });
          all.push(...page.memories);
          next = page.next_cursor;
          cursor = next ?? undefined;
        } while (flags.all && next);
        if (flags.json) return ctx.out(json({ memories: all, next_cursor: next }));
        if (all.length === 0) return ctx.err("no memories");
        ctx.out(all.map((m) => renderMemoryLine(m, { full: flags.full })).join("\n"));
        if (next) ctx.err(`more: mcp-mitm-mem0 list --cursor ${next}`);
      },
    );

  program
    .command("show")
    .description(describeCommand("show"))
    .argument("<id>", "memory id, or a unique prefix of it")
    .addOption(jsonOption())
    .action(async (id: string, flags: { json?: boolean }) => {
      const store = await ctx.store();
      const m = await store.get(await resolveMemoryId(store, id, ctx.config().defaultUserId));
      if (!m) throw new NotFoundError("memory", id);
      ctx.out(flags.json ? json(m) : renderMemory(m));
    });

  program
    .command("history")
    .description(describeCommand("history"))
    .argument("<id>", "memory id, or a unique prefix of a memory not deleted (a deleted one's full id works)")
    .addOption(jsonOption())
    .action(async (given: string, flags: { json?: boolean }) => {
      const store = await ctx.store();
      let events = await store.history(given);
      const id = events.length > 0 ? given : await resolveMemoryId(store, given, ctx.config().defaultUserId);
      if (id !== given) events = await store.history(id);
      if (events.length === 0 && !(await store.get(id))) throw new NotFoundError("memory", id);
      ctx.out(flags.json ? json(events) : renderHistory(events));
    });

  program
    .command("stats")
    .description(describeCommand("stats"))
    .option("-u, --user <id>", "only this user")
    .addOption(jsonOption())
    .action(async (flags: { user?: string; json?: boolean }) => {
      const store = await ctx.store();
      const s = await store.stats(flags.user);
      if (flags.json) return ctx.out(json(s));
      const lines = [
        `backend:        ${s.backend}`,
        `memories:       ${s.memories}`,
        `users:          ${s.users}`,
        `history events: ${s.history_events}`,
        `oldest:         ${s.oldest ?? "-"}`,
        `newest:         ${s.newest ?? "-"}`,
      ];
      if (s.size_bytes !== undefined)
        lines.push(`size on disk:   ${(s.size_bytes / 1024 / 1024).toFixed(1)} MiB`);
      for (const u of s.by_user) lines.push(`  ${u.user_id}: ${u.memories}`);
      ctx.out(lines.join("\n"));
    });
};

/**
 * `analyze` and `suggest`: the reflection analyser from the command line, with
 * the same output as the MCP tools `analyze_conversations` and
 * `suggest_next_actions` (text, or the structured data with --json).
 */
import type { Command } from "commander";
import type { CliContext, RegisterCommand } from "../context.js";
import { jsonOption, positiveInt } from "../options.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

/** Turns the CLI reads by default: more than the MCP tool's 20, a person asks less often. */
export const DEFAULT_ANALYZE_LIMIT = 100;

interface InsightFlags {
  user?: string;
  project?: string;
  json?: boolean;
}

function scopeOptions(cmd: Command): Command {
  return cmd
    .option("-u, --user <id>", "user id (default: DEFAULT_USER_ID)")
    .option("-p, --project <app_id>", "only this project (its working directory); default: all projects")
    .addOption(jsonOption());
}

async function insightsFor(ctx: CliContext) {
  const { createInsights } = await import("../../insights/index.js");
  return createInsights({ store: await ctx.store(), config: ctx.config(), logger: ctx.logger() });
}

export const registerAnalyzeCommand: RegisterCommand = (program, ctx) => {
  scopeOptions(program.command("analyze").description(describeCommand("analyze")))
    .option(
      "-n, --limit <n>",
      "how many recent memories to analyse",
      positiveInt("--limit", 10_000),
      DEFAULT_ANALYZE_LIMIT,
    )
    .action(async (flags: InsightFlags & { limit: number }) => {
      const { provider } = await insightsFor(ctx);
      const result = await provider.analyze({
        user_id: flags.user ?? ctx.config().defaultUserId,
        limit: flags.limit,
        app_id: flags.project,
      });
      ctx.out(flags.json ? json(result.data) : result.text);
    });
};

export const registerSuggestCommand: RegisterCommand = (program, ctx) => {
  scopeOptions(program.command("suggest").description(describeCommand("suggest"))).action(
    async (flags: InsightFlags) => {
      const { provider } = await insightsFor(ctx);
      const result = await provider.suggest({
        user_id: flags.user ?? ctx.config().defaultUserId,
        app_id: flags.project,
      });
      ctx.out(flags.json ? json(result.data) : result.text);
    },
  );
};

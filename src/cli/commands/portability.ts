import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { auditedOperation } from "../../store/audited-store.js";
import { exportChunks } from "../../store/portability/export-format.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { openInput } from "../open-input.js";
import { isoDate, jsonOption } from "../options.js";
import { createProgress } from "../progress.js";
import { describeCommand } from "./catalog.js";

interface ImportFlags {
  user?: string;
  from?: string;
  project?: string;
  since?: string;
  dryRun?: boolean;
  rescan?: boolean;
  json?: boolean;
  redact: boolean;
}

export const registerPortabilityCommands: RegisterCommand = (program, ctx) => {
  program
    .command("export")
    .description(describeCommand("export"))
    .option("-u, --user <id>", "user id (default: DEFAULT_USER_ID)")
    .option("-f, --format <format>", "jsonl or json", "jsonl")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action(async (flags: { user?: string; format: string; output?: string }) => {
      if (flags.format !== "jsonl" && flags.format !== "json")
        throw new UsageError("--format must be jsonl or json");
      const store = await ctx.store();
      const user_id = flags.user ?? ctx.config().defaultUserId;
      const format: "jsonl" | "json" = flags.format;
      const progress = createProgress("exported");
      let n = 0;
      await auditedOperation(store, "export", { user_id }, async (audited) => {
        const document = exportChunks(audited, user_id, format, (count) => {
          n = count;
          progress.update(count);
        });
        // pipeline: backpressure, and a file that cannot be opened or written rejects (exit 1).
        if (flags.output)
          await pipeline(Readable.from(document), createWriteStream(flags.output, { mode: 0o600 }));
        else await pipeline(Readable.from(document), process.stdout, { end: false });
      });
      progress.done();
      ctx.err(`exported ${n} memories of ${user_id}`);
    });

  program
    .command("import")
    .description(describeCommand("import"))
    .argument(
      "[file]",
      "the file, or - for stdin; with --from claude-code, the projects folder (default ~/.claude/projects)",
    )
    .option("-u, --user <id>", "import everything as this user instead of each record's user_id")
    .option("--from <source>", "claude-code: read Claude Code's transcripts into episodes")
    .option("--project <path>", "with --from claude-code: only this project (its working directory)")
    .option("--since <date>", "with --from claude-code: only episodes from this date or time on", isoDate)
    .option("--dry-run", "with --from claude-code: count what would be stored, per project; write nothing")
    .option("--rescan", "with --from claude-code: read every file from the start (nothing is stored twice)")
    .option(
      "--no-redact",
      "keep secrets in the imported texts as they are (by default they become [REDACTED:type])",
    )
    .addOption(jsonOption())
    .action(async (file: string | undefined, flags: ImportFlags) => {
      if (flags.from !== undefined) {
        if (flags.from !== "claude-code")
          throw new UsageError(`--from must be claude-code, not "${flags.from}"`);
        if (flags.user)
          throw new UsageError("--user is for export files; transcripts are stored as DEFAULT_USER_ID");
        if (!flags.redact)
          throw new UsageError("--no-redact is for export files; transcripts are always redacted");
        const { importFromClaudeCode } = await import("./transcripts.js");
        return importFromClaudeCode(ctx, file, flags);
      }
      const only = (["project", "since", "dryRun", "rescan", "json"] as const).find(
        (k) => flags[k] !== undefined,
      );
      if (only) throw new UsageError(`--${only.replace("dryRun", "dry-run")} needs --from claude-code`);
      if (file === undefined) {
        throw new UsageError("name the file to import (or - for stdin), or use --from claude-code");
      }
      // The record schema (zod) loads only for import.
      const { importRecords, readRecords } = await import("../../store/portability/import-records.js");
      const input = await openInput(file);
      const store = await ctx.store();
      const progress = createProgress("imported");
      const counts = await auditedOperation(store, "import", { user_id: flags.user }, (audited) =>
        importRecords(audited, readRecords(input, file), file, {
          user: flags.user,
          keepSecrets: !flags.redact,
          onProgress: (c) => progress.update(c.seen),
        }),
      );
      progress.done();
      const redacted =
        counts.redacted > 0 ? `; secrets redacted in ${counts.redacted} (--no-redact keeps them)` : "";
      ctx.err(`imported ${counts.created} memories, ${counts.skipped} already present${redacted}`);
    });
};

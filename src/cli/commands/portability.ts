import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { exportChunks } from "../../store/portability/export-format.js";
import { importRecords, readRecords } from "../../store/portability/import-records.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { createProgress } from "../progress.js";

export const registerPortabilityCommands: RegisterCommand = (program, ctx) => {
  program
    .command("export")
    .description("write a user's memories as JSONL (default) or JSON, for backup or moving elsewhere")
    .option("-u, --user <id>", "user id (default: DEFAULT_USER_ID)")
    .option("-f, --format <format>", "jsonl or json", "jsonl")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action(async (o: { user?: string; format: string; output?: string }) => {
      if (o.format !== "jsonl" && o.format !== "json") throw new UsageError("--format must be jsonl or json");
      const store = await ctx.store();
      const user_id = o.user ?? ctx.config().defaultUserId;
      const progress = createProgress("exported");
      let n = 0;
      const document = exportChunks(store, user_id, o.format, (count) => {
        n = count;
        progress.update(count);
      });
      // pipeline: backpressure, and a file that cannot be opened or written rejects (exit 1).
      if (o.output) await pipeline(Readable.from(document), createWriteStream(o.output, { mode: 0o600 }));
      else await pipeline(Readable.from(document), process.stdout, { end: false });
      progress.done();
      ctx.err(`exported ${n} memories of ${user_id}`);
    });

  program
    .command("import")
    .description("read memories written by export (JSONL or JSON); running it twice adds nothing new")
    .argument("<file>", "the file, or - for stdin")
    .option("-u, --user <id>", "import everything as this user instead of each record's user_id")
    .action(async (file: string, o: { user?: string }) => {
      const store = await ctx.store();
      const progress = createProgress("imported");
      const input = file === "-" ? process.stdin : createReadStream(file, { encoding: "utf8" });
      const counts = await importRecords(store, readRecords(input, file), file, {
        user: o.user,
        onProgress: (c) => progress.update(c.seen),
      });
      progress.done();
      ctx.err(`imported ${counts.created} memories, ${counts.skipped} already present`);
    });
};

import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { InvalidInputError } from "../../core/errors.js";
import type { AddInput, Memory } from "../../core/types.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { createProgress } from "../progress.js";

/** What export writes and import reads: our (Mem0-shaped) memory. */
const exportedMemory = z.object({
  id: z.string().min(1).optional(),
  memory: z.string().min(1),
  user_id: z.string().min(1),
  agent_id: z.string().nullish(),
  app_id: z.string().nullish(),
  run_id: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  categories: z.array(z.string()).nullish(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});

const PAGE = 1000;

async function* allMemories(store: MemoryStore, user_id: string): AsyncGenerator<Memory> {
  let cursor: string | undefined;
  do {
    const page = await store.list({ filters: { user_id }, limit: PAGE, cursor });
    yield* page.memories;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/**
 * Reads records from JSONL (streamed, one memory a line), or from a JSON
 * document: a list of memories or `{ "memories": [...] }` (what `export
 * --format json` writes), which is read whole.
 */
async function* readRecords(path: string): AsyncGenerator<{ line: number; value: unknown }> {
  const input = path === "-" ? process.stdin : createReadStream(path, { encoding: "utf8" });
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let document: string[] | null = null;
  let first = true;
  for await (const line of rl) {
    lineNo++;
    if (document) {
      document.push(line);
      continue;
    }
    const t = line.trim();
    if (t === "") continue;
    if (first) {
      first = false;
      if (startsDocument(t)) {
        document = [line];
        continue;
      }
    }
    try {
      yield { line: lineNo, value: JSON.parse(t) };
    } catch {
      throw new InvalidInputError(`${path}:${lineNo}: not valid JSON`);
    }
  }
  if (!document) return;
  let doc: unknown;
  try {
    doc = JSON.parse(document.join("\n"));
  } catch {
    throw new InvalidInputError(`${path}: not valid JSON or JSONL`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { memories?: unknown } | null)?.memories;
  if (!Array.isArray(list))
    throw new InvalidInputError(`${path}: expected a list of memories or {"memories": [...]}`);
  for (const [i, m] of list.entries()) yield { line: i + 1, value: m };
}

/** A list, `{"memories": [...]}` on one line, or the incomplete first line of a pretty-printed document. */
function startsDocument(firstLine: string): boolean {
  if (firstLine.startsWith("[")) return true;
  try {
    const value: unknown = JSON.parse(firstLine);
    return (
      typeof value === "object" && value !== null && Array.isArray((value as { memories?: unknown }).memories)
    );
  } catch {
    return true;
  }
}

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
      async function* document(): AsyncGenerator<string> {
        if (o.format === "json") yield `{"version":1,"user_id":${JSON.stringify(user_id)},"memories":[\n`;
        for await (const m of allMemories(store, user_id)) {
          const line = JSON.stringify(m);
          yield o.format === "json" ? `${n > 0 ? ",\n" : ""}${line}` : `${line}\n`;
          progress.update(++n);
        }
        if (o.format === "json") yield "\n]}\n";
      }
      // pipeline: backpressure, and a file that cannot be opened or written rejects (exit 1).
      if (o.output) await pipeline(Readable.from(document()), createWriteStream(o.output, { mode: 0o600 }));
      else await pipeline(Readable.from(document()), process.stdout, { end: false });
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
      let batch: AddInput[] = [];
      let seen = 0;
      let created = 0;
      let skipped = 0;
      const flush = async () => {
        // The store answers "duplicate" for a text, or an id, the user already has: re-import adds nothing.
        const results = await store.addMany(batch);
        for (const r of results) {
          if (r.status === "duplicate") skipped++;
          else created++;
        }
        batch = [];
        progress.update(seen);
      };
      for await (const { line, value } of readRecords(file)) {
        const parsed = exportedMemory.safeParse(value);
        if (!parsed.success) {
          await flush();
          const issue = parsed.error.issues[0];
          throw new InvalidInputError(
            `${file}: record ${line}: ${issue ? `${issue.path.join(".") || "record"}: ${issue.message}` : "invalid"} (nothing after it was imported; earlier records were)`,
          );
        }
        const r = parsed.data;
        const user_id = o.user ?? r.user_id;
        batch.push({
          // Moved to another user, a record is a new memory: its id belongs to the original owner.
          id: user_id === r.user_id ? r.id : undefined,
          memory: r.memory,
          user_id,
          agent_id: r.agent_id ?? undefined,
          app_id: r.app_id ?? undefined,
          run_id: r.run_id ?? undefined,
          metadata: r.metadata ?? undefined,
          categories: r.categories ?? undefined,
          created_at: r.created_at,
          updated_at: r.updated_at,
        });
        seen++;
        if (batch.length >= PAGE) await flush();
      }
      await flush();
      progress.done();
      ctx.err(`imported ${created} memories, ${skipped} already present`);
    });
};

import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { z } from "zod";
import { redactMemoryText } from "../../core/capture/redaction-report.js";
import { InvalidInputError } from "../../core/errors.js";
import type { AddInput } from "../../core/types.js";
import type { MemoryStore } from "../memory-store.js";
import { EXPORT_PAGE } from "./export-format.js";

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

/**
 * Reads records from JSONL (streamed, one memory a line), or from a JSON
 * document: a list of memories or `{ "memories": [...] }` (what `export
 * --format json` writes), which is read whole. `name` labels errors.
 */
export async function* readRecords(
  input: Readable,
  name: string,
): AsyncGenerator<{ line: number; value: unknown }> {
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
      throw new InvalidInputError(`${name}:${lineNo}: not valid JSON`);
    }
  }
  if (!document) return;
  let doc: unknown;
  try {
    doc = JSON.parse(document.join("\n"));
  } catch {
    throw new InvalidInputError(`${name}: not valid JSON or JSONL`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { memories?: unknown } | null)?.memories;
  if (!Array.isArray(list))
    throw new InvalidInputError(`${name}: expected a list of memories or {"memories": [...]}`);
  for (const [i, m] of list.entries()) yield { line: i + 1, value: m };
}

export interface ImportCounts {
  /** Records read. */
  seen: number;
  created: number;
  /** Already present (same text or same id for the user). */
  skipped: number;
  /** Records whose text had secrets replaced by placeholders (0 with `keepSecrets`). */
  redacted: number;
}

export interface ImportOptions {
  /** Import everything as this user instead of each record's user_id. */
  user?: string | undefined;
  /** Store texts as they are, secrets included (the default redacts them, as capture does). */
  keepSecrets?: boolean | undefined;
  onProgress?: (counts: ImportCounts) => void;
}

/**
 * Adds the records in batches, their texts redacted like captured ones
 * unless `keepSecrets`. A bad record stops the import with its number;
 * earlier records stay imported. Running it twice adds nothing new: the store
 * answers "duplicate" for a text, or an id, the user already has.
 */
export async function importRecords(
  store: MemoryStore,
  records: AsyncIterable<{ line: number; value: unknown }>,
  name: string,
  options: ImportOptions = {},
): Promise<ImportCounts> {
  const counts: ImportCounts = { seen: 0, created: 0, skipped: 0, redacted: 0 };
  let batch: AddInput[] = [];
  const flush = async () => {
    const results = await store.addMany(batch);
    for (const r of results) {
      if (r.status === "duplicate") counts.skipped++;
      else counts.created++;
    }
    batch = [];
    options.onProgress?.({ ...counts });
  };
  for await (const { line, value } of records) {
    const parsed = exportedMemory.safeParse(value);
    if (!parsed.success) {
      await flush();
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(
        `${name}: record ${line}: ${issue ? `${issue.path.join(".") || "record"}: ${issue.message}` : "invalid"} (nothing after it was imported; earlier records were)`,
      );
    }
    const r = parsed.data;
    const user_id = options.user ?? r.user_id;
    const { text, redacted } = redactMemoryText(r.memory, { keep: options.keepSecrets });
    if (redacted.length > 0) counts.redacted++;
    batch.push({
      // Moved to another user, a record is a new memory: its id belongs to the original owner.
      id: user_id === r.user_id ? r.id : undefined,
      memory: text,
      user_id,
      agent_id: r.agent_id ?? undefined,
      app_id: r.app_id ?? undefined,
      run_id: r.run_id ?? undefined,
      metadata: r.metadata ?? undefined,
      categories: r.categories ?? undefined,
      created_at: r.created_at,
      updated_at: r.updated_at,
    });
    counts.seen++;
    if (batch.length >= EXPORT_PAGE) await flush();
  }
  await flush();
  return counts;
}

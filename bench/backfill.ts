/**
 * `npm run bench:backfill [-- --files 10000 --json PATH]`
 *
 * `import --from claude-code` over N synthetic transcripts built from the
 * recorded ones (test/fixtures/claude-code/sessions/transcripts: a Read and
 * Bash task with a resumed follow-up, a fix with a failing command and an
 * Edit, a sub-agent), each a new session with its own words, spread over 50
 * project folders, into a fresh SQLite store. The baseline, measured in the
 * same run on the same files, is a plain JSONL parse (read each file, split
 * lines, JSON.parse each). Then the same import again (nothing changed:
 * what a re-run costs).
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { importTranscripts } from "../src/capture/transcripts/transcript-import.js";
import { TranscriptState, transcriptStatePath } from "../src/capture/transcripts/transcript-state.js";
import { silentLogger } from "../src/core/logger.js";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs } from "./lib/percentile.js";
import { fmt, formatTable } from "./lib/table.js";

const FIXTURES = join(
  import.meta.dirname,
  "..",
  "..",
  "test",
  "fixtures",
  "claude-code",
  "sessions",
  "transcripts",
  "-home-dev-acme-api",
);
const PROJECTS = 50;

const { values } = parseArgs({
  options: { files: { type: "string", default: "10000" }, json: { type: "string" } },
});
const count = Number(values.files);

function fixtures(): { session: string; text: string }[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".jsonl"))
    .map((f) => ({ session: f.replace(/\.jsonl$/, ""), text: readFileSync(join(FIXTURES, f), "utf8") }));
}

/** N transcripts: fixture i % 3 with a new session id, project and words (so every episode is new). */
function generate(root: string): { files: string[]; bytes: number } {
  const base = fixtures();
  const files: string[] = [];
  let bytes = 0;
  const old = new Date(Date.now() - 86_400_000);
  for (let i = 0; i < count; i++) {
    const f = base[i % base.length] as { session: string; text: string };
    const session = `${f.session.slice(0, 24)}${String(i).padStart(12, "0")}`;
    const project = `/home/dev/project-${i % PROJECTS}`;
    const text = f.text
      .replaceAll(f.session, session)
      .replaceAll("/home/dev/acme-api", project)
      .replace(/"content":"([^"]{10,200})"/g, (_m, words: string) => `"content":"${words} (#${i})"`);
    const dir = join(root, project.replace(/[^a-zA-Z0-9]/g, "-"));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${session}.jsonl`);
    writeFileSync(path, text);
    utimesSync(path, old, old);
    files.push(path);
    bytes += Buffer.byteLength(text);
  }
  return { files, bytes };
}

function plainParse(files: readonly string[]): number {
  let lines = 0;
  for (const f of files) {
    for (const line of readFileSync(f, "utf8").split("\n")) {
      if (line === "") continue;
      JSON.parse(line);
      lines++;
    }
  }
  return lines;
}

const work = mkdtempSync(join(tmpdir(), "mmm-bench-backfill-"));
try {
  const root = join(work, "projects");
  const { files, bytes } = generate(root);
  const mb = bytes / 1e6;

  let t = process.hrtime.bigint();
  const lines = plainParse(files);
  const baselineMs = elapsedMs(t);

  const store = SqliteMemoryStore.open(join(work, "memories.db"), { logger: silentLogger });
  const state = TranscriptState.open(transcriptStatePath(work));
  const opts = { root, store, state, userId: "bench", agentId: "claude-code", idleMs: 300_000 };
  t = process.hrtime.bigint();
  const first = await importTranscripts(opts);
  const importMs = elapsedMs(t);
  t = process.hrtime.bigint();
  const again = await importTranscripts(opts);
  const againMs = elapsedMs(t);
  const stored = (await store.stats("bench")).memories;
  state.close();
  await store.close();

  const eps = first.episodes.stored;
  const rows = [
    [
      "plain JSONL parse (baseline)",
      fmt(baselineMs),
      "",
      fmt(mb / (baselineMs / 1000), 1),
      fmt(lines),
      "1.00",
    ],
    [
      "import --from claude-code",
      fmt(importMs),
      fmt(eps / (importMs / 1000)),
      fmt(mb / (importMs / 1000), 1),
      fmt(eps),
      fmt(importMs / baselineMs, 2),
    ],
    [
      "the same import again (nothing new)",
      fmt(againMs),
      "",
      "",
      fmt(again.episodes.stored),
      fmt(againMs / baselineMs, 2),
    ],
  ];
  console.log(`${fmt(count)} transcripts, ${fmt(mb, 1)} MB, ${fmt(lines)} lines, ${PROJECTS} projects`);
  console.log(formatTable(["run", "ms", "episodes/s", "MB/s", "lines / episodes", "× baseline"], rows));
  console.log(`store holds ${fmt(stored)} memories; unreadable lines: ${first.lines.skipped}`);
  if (stored !== eps || again.episodes.stored !== 0 || first.episodes.inProgress !== 0) {
    throw new Error(`unexpected counts: stored ${stored}, first ${eps}, again ${again.episodes.stored}`);
  }
  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify({ files: count, bytes, lines, baselineMs, importMs, againMs, episodes: eps }, null, 2),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

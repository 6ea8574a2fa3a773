/**
 * `npm run bench:locomo [-- --data PATH] [--json PATH] [--conversations conv-26,conv-30]`
 *
 * Retrieval quality of the SQLite memory store on LoCoMo (see
 * ../shared/bench/locomo/README.md): recall@1/5/10/25 of the evidence turns per
 * question category and overall, search latency p50/p99 and ingest time; next
 * to bare FTS5 BM25 on the same turns, measured in the same run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultLocomoPath, loadLocomo } from "./lib/locomo-data.js";
import {
  byCategory,
  type ConversationResult,
  evaluateConversation,
  type QuestionResult,
  type RecallSummary,
  summarise,
} from "./lib/locomo-eval.js";
import { ftsBaseline } from "./lib/locomo-fts-baseline.js";
import { percentile, round3 } from "./lib/percentile.js";
import { fmt, formatTable } from "./lib/table.js";

const CATEGORY_NAMES: Record<string, string> = {
  "1": "multi-hop",
  "2": "temporal",
  "3": "open-domain",
  "4": "single-hop",
  "5": "adversarial",
};

const row = (name: string, s: RecallSummary, base?: RecallSummary) => [
  name,
  fmt(s.questions),
  fmt(s["r@1"], 1),
  fmt(s["r@5"], 1),
  fmt(s["r@10"], 1),
  fmt(s["r@25"], 1),
  ...(base ? [fmt(base["r@5"], 1), fmt(base["r@10"], 1)] : []),
];

const latency = (results: readonly QuestionResult[]) => {
  const ms = results.map((q) => q.searchMs);
  return { p50: round3(percentile(ms, 50)), p99: round3(percentile(ms, 99)) };
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      json: { type: "string" },
      conversations: { type: "string" },
    },
  });
  const dataPath = resolve(values.data ?? defaultLocomoPath());
  let conversations = loadLocomo(dataPath);
  if (values.conversations) {
    const wanted = new Set(values.conversations.split(","));
    conversations = conversations.filter((c) => wanted.has(c.id));
  }
  if (conversations.length === 0) throw new Error(`no conversations to measure in ${dataPath}`);

  const dir = mkdtempSync(join(tmpdir(), "bench-locomo-"));
  const results: ConversationResult[] = [];
  const baseline: QuestionResult[] = [];
  try {
    for (const conv of conversations) {
      process.stderr.write(`${conv.id}: ${conv.turns.length} turns, ${conv.questions.length} questions...\n`);
      results.push(await evaluateConversation(conv, { dir }));
      baseline.push(...ftsBaseline(conv));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const questions = results.flatMap((r) => r.questions);
  const overall = summarise(questions);
  const categories = byCategory(questions);
  const searchMs = latency(questions);
  const baselineMs = latency(baseline);
  const baselineCategories = byCategory(baseline);
  const memories = results.reduce((n, r) => n + r.memories, 0);
  const ingestMs = results.reduce((n, r) => n + r.ingestMs, 0);

  const [load1 = 0] = loadavg();
  console.log(
    `\nLoCoMo retrieval, ${results.length} conversations (${results.map((r) => r.id).join(", ")}), ` +
      `${fmt(memories)} memories, ${fmt(questions.length)} questions with evidence; node ${process.version}, ` +
      `load ${fmt(load1, 2)} on ${availableParallelism()} cores\n`,
  );
  console.log(
    formatTable(
      ["category", "questions", "R@1", "R@5", "R@10", "R@25", "FTS5 R@5", "FTS5 R@10"],
      [
        ...Object.entries(categories).map(([k, s]) =>
          row(`${k} ${CATEGORY_NAMES[k] ?? ""}`.trim(), s, baselineCategories[k]),
        ),
        row("overall", overall, summarise(baseline)),
      ],
    ),
  );
  console.log(
    `\nsearch p50 ${fmt(searchMs.p50, 2)} ms, p99 ${fmt(searchMs.p99, 2)} ms ` +
      `(bare FTS5 p50 ${fmt(baselineMs.p50, 2)} ms, p99 ${fmt(baselineMs.p99, 2)} ms); ` +
      `ingest ${fmt(ingestMs)} ms (${fmt(memories / (ingestMs / 1000))} memories/s)`,
  );
  const perConversation = results.map((r) => [r.id, summarise(r.questions)] as const);
  console.log(
    `\n${formatTable(
      ["conversation", "questions", "R@1", "R@5", "R@10", "R@25"],
      perConversation.map(([id, s]) => row(id, s)),
    )}`,
  );

  if (values.json) {
    const { questions: _n, ...overallRecall } = overall;
    const json = {
      overall: overallRecall,
      by_category: Object.fromEntries(
        Object.entries(categories).map(([k, { questions: _q, ...s }]) => [k, s]),
      ),
      search_ms: searchMs,
      ingest_ms: Math.round(ingestMs),
      memories,
      questions: questions.length,
      by_conversation: Object.fromEntries(perConversation.map(([id, { questions: _q, ...s }]) => [id, s])),
      fts5_baseline: { overall: summarise(baseline), search_ms: baselineMs },
    };
    writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();

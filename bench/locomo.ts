/**
 * `npm run bench:locomo [-- --data PATH] [--json PATH] [--conversations conv-26,conv-30]
 *    [--glove | --embeddings-url URL --embeddings-model NAME] [--embeddings-weight W] [--backend postgres]`
 * (`--backend postgres`: DATABASE_URL or TEST_DATABASE_URL; adds the PostgreSQL store's recall next to SQLite's)
 *
 * Retrieval quality of the SQLite memory store on LoCoMo (see docs/search.md):
 * recall@1/5/10/25 of the evidence turns per question category and overall,
 * search latency and ingest time, for the rankings measured in the same
 * run: bare FTS5 BM25, the store's lexical ranking without pseudo-relevance
 * feedback (the ranking before it), the default (lexical with feedback,
 * offline), and — with an embeddings endpoint — the default fused with it.
 * `--glove` serves averaged GloVe vectors locally (see glove-embeddings-server.ts).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../src/core/logger.js";
import { OpenAiEmbedder } from "../src/embeddings/openai-embedder.js";
import { PgMemoryStore } from "../src/store/postgres/pg-store.js";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { hasVectorIndex } from "../src/store/vector-indexing.js";
import { GLOVE_MODEL, GloveEmbeddings, serveGlove } from "./lib/glove-embeddings-server.js";
import {
  defaultLocomoPath,
  type LocomoConversation,
  loadLocomo,
  missingLocomoMessage,
} from "./lib/locomo-data.js";
import {
  byCategory,
  type ConversationResult,
  type EvaluateOptions,
  evaluateConversation,
  type QuestionResult,
  type RecallSummary,
  summarise,
} from "./lib/locomo-eval.js";
import { ftsBaseline } from "./lib/locomo-fts-baseline.js";
import { percentile, round3 } from "./lib/percentile.js";
import { freshPgSchema, type PgSchema } from "./lib/pg-bench.js";
import { fmt, formatTable } from "./lib/table.js";

const CATEGORY_NAMES: Record<string, string> = {
  "1": "multi-hop",
  "2": "temporal",
  "3": "open-domain",
  "4": "single-hop",
  "5": "adversarial",
};
/** The conversations the signals were chosen on; the others only confirm them. */
const TUNING = new Set(["conv-26", "conv-30", "conv-41"]);

interface Ranking {
  name: string;
  questions: QuestionResult[];
  ingestMs: number;
  prepareMs: number;
}

const recallCells = (s: RecallSummary) => [
  fmt(s["r@1"], 1),
  fmt(s["r@5"], 1),
  fmt(s["r@10"], 1),
  fmt(s["r@25"], 1),
];

const latency = (results: readonly QuestionResult[]) => {
  const ms = results.map((q) => q.searchMs);
  return { p50: round3(percentile(ms, 50)), p99: round3(percentile(ms, 99)) };
};

async function runStore(
  name: string,
  conversations: readonly LocomoConversation[],
  dir: string,
  opts: Omit<EvaluateOptions, "dir">,
): Promise<Ranking> {
  const results: ConversationResult[] = [];
  for (const conv of conversations) {
    process.stderr.write(
      `${name}: ${conv.id}, ${conv.turns.length} turns, ${conv.questions.length} questions...\n`,
    );
    results.push(await evaluateConversation(conv, { dir, ...opts }));
  }
  return {
    name,
    questions: results.flatMap((r) => r.questions),
    ingestMs: results.reduce((n, r) => n + r.ingestMs, 0),
    prepareMs: results.reduce((n, r) => n + r.prepareMs, 0),
  };
}

function printCategories(r: Ranking): void {
  const categories = byCategory(r.questions);
  console.log(`\n${r.name}\n`);
  console.log(
    formatTable(
      ["category", "questions", "R@1", "R@5", "R@10", "R@25"],
      [
        ...Object.entries(categories).map(([k, s]) => [
          `${k} ${CATEGORY_NAMES[k] ?? ""}`.trim(),
          fmt(s.questions),
          ...recallCells(s),
        ]),
        ["overall", fmt(r.questions.length), ...recallCells(summarise(r.questions))],
      ],
    ),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      json: { type: "string" },
      conversations: { type: "string" },
      glove: { type: "boolean" },
      "embeddings-url": { type: "string" },
      "embeddings-model": { type: "string" },
      "embeddings-weight": { type: "string" },
      backend: { type: "string", default: "sqlite" },
    },
  });
  if (values.backend !== "sqlite" && values.backend !== "postgres") {
    console.error(`--backend "${values.backend}" is not accepted: use sqlite or postgres`);
    process.exitCode = 2;
    return;
  }
  const databaseUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (values.backend === "postgres" && !databaseUrl) {
    console.error(
      "bench:locomo --backend postgres needs DATABASE_URL (or TEST_DATABASE_URL: `source .ci/postgres.sh` starts a throwaway server)",
    );
    process.exitCode = 2;
    return;
  }
  const dataPath = resolve(values.data ?? process.env.LOCOMO_DEV_PATH ?? defaultLocomoPath());
  if (!existsSync(dataPath)) {
    console.error(missingLocomoMessage(dataPath));
    process.exitCode = 2;
    return;
  }
  let conversations = loadLocomo(dataPath);
  if (values.conversations) {
    const wanted = new Set(values.conversations.split(","));
    conversations = conversations.filter((c) => wanted.has(c.id));
  }
  if (conversations.length === 0) throw new Error(`no conversations to measure in ${dataPath}`);

  let endpoint: { url: string; model: string; stop?: () => Promise<void> } | null = null;
  if (values.glove) {
    process.stderr.write("loading GloVe vectors...\n");
    const served = await serveGlove(GloveEmbeddings.load());
    endpoint = { url: served.url, model: GLOVE_MODEL, stop: served.stop };
  } else if (values["embeddings-url"]) {
    if (!values["embeddings-model"]) throw new Error("--embeddings-url needs --embeddings-model");
    endpoint = { url: values["embeddings-url"], model: values["embeddings-model"] };
  }
  const weight = values["embeddings-weight"] === undefined ? undefined : Number(values["embeddings-weight"]);

  const dir = mkdtempSync(join(tmpdir(), "bench-locomo-"));
  const rankings: Ranking[] = [];
  try {
    rankings.push({
      name: "bare FTS5 BM25",
      questions: conversations.flatMap((c) => ftsBaseline(c)),
      ingestMs: 0,
      prepareMs: 0,
    });
    rankings.push(
      await runStore("lexical ranking, no feedback (before)", conversations, join(dir, "before"), {
        openStore: (path) => SqliteMemoryStore.open(path, { searchFeedback: false }),
      }),
    );
    rankings.push(await runStore("lexical + feedback (default, offline)", conversations, dir, {}));
    if (values.backend === "postgres" && databaseUrl) {
      // The same turns and questions on PostgreSQL, one fresh schema per conversation.
      const schemas: PgSchema[] = [];
      try {
        rankings.push(
          await runStore("PostgreSQL store (tsvector + the same signals)", conversations, dir, {
            openStore: async () => {
              const schema = await freshPgSchema(databaseUrl);
              schemas.push(schema);
              return PgMemoryStore.open(schema.url, { logger: silentLogger });
            },
          }),
        );
      } finally {
        for (const s of schemas) await s.drop();
      }
    }
    if (endpoint) {
      const e = endpoint;
      const embedder = new OpenAiEmbedder({ url: e.url, model: e.model, timeoutMs: 120_000 });
      rankings.push(
        await runStore(`lexical + embeddings (${e.model})`, conversations, join(dir, "dense"), {
          openStore: (path) =>
            SqliteMemoryStore.open(path, {
              logger: silentLogger,
              embeddings: { embedder, weight, queryTimeoutMs: 30_000 },
            }),
          prepare: async (store) => {
            if (hasVectorIndex(store)) await store.backfillVectors();
          },
        }),
      );
    }
  } finally {
    await endpoint?.stop?.();
    rmSync(dir, { recursive: true, force: true });
  }

  const [load1 = 0] = loadavg();
  const questions = rankings[0]?.questions.length ?? 0;
  console.log(
    `\nLoCoMo retrieval, ${conversations.length} conversations (${conversations.map((c) => c.id).join(", ")}), ` +
      `${fmt(conversations.reduce((n, c) => n + c.turns.length, 0))} memories, ${fmt(questions)} questions ` +
      `with evidence; node ${process.version}, load ${fmt(load1, 2)} on ${availableParallelism()} cores`,
  );
  for (const r of rankings) printCategories(r);

  const split = (r: Ranking, tuning: boolean) =>
    r.questions.filter((q) => TUNING.has(q.conversation) === tuning);
  const hasSplit = rankings[0]
    ? split(rankings[0], true).length > 0 && split(rankings[0], false).length > 0
    : false;
  console.log("\nsummary (R@5 / R@10; chosen on conv-26, conv-30, conv-41, confirmed on the others)\n");
  console.log(
    formatTable(
      [
        "ranking",
        "R@5",
        "R@10",
        ...(hasSplit ? ["tuning R@5/10", "held-out R@5/10"] : []),
        "p50 ms",
        "p99 ms",
      ],
      rankings.map((r) => {
        const all = summarise(r.questions);
        const ms = latency(r.questions);
        const pair = (s: RecallSummary) => `${fmt(s["r@5"], 1)} / ${fmt(s["r@10"], 1)}`;
        return [
          r.name,
          fmt(all["r@5"], 1),
          fmt(all["r@10"], 1),
          ...(hasSplit ? [pair(summarise(split(r, true))), pair(summarise(split(r, false)))] : []),
          fmt(ms.p50, 2),
          fmt(ms.p99, 2),
        ];
      }),
    ),
  );
  for (const r of rankings.slice(1)) {
    const prep = r.prepareMs > 0 ? `, embedding every memory ${fmt(r.prepareMs)} ms` : "";
    console.log(`${r.name}: ingest ${fmt(r.ingestMs)} ms${prep}`);
  }
  const ids = conversations.map((c) => c.id);
  console.log(
    `\n${formatTable(
      ["conversation", ...rankings.map((r) => r.name.replace(/ \(.*\)$/, ""))],
      ids.map((id) => [
        id,
        ...rankings.map((r) => {
          const s = summarise(r.questions.filter((q) => q.conversation === id));
          return `${fmt(s["r@5"], 1)} / ${fmt(s["r@10"], 1)}`;
        }),
      ]),
    )}`,
  );

  // PostgreSQL ranks by the same signals without pseudo-relevance feedback: compare it with that ranking.
  const sqliteRanking = rankings[1];
  const pgRanking = rankings.find((r) => r.name.startsWith("PostgreSQL"));
  if (sqliteRanking && pgRanking) {
    const a = summarise(sqliteRanking.questions);
    const b = summarise(pgRanking.questions);
    const d5 = b["r@5"] - a["r@5"];
    const d10 = b["r@10"] - a["r@10"];
    const ok = Math.abs(d5) <= 3 && Math.abs(d10) <= 3;
    console.log(
      `\nPostgreSQL vs SQLite store: R@5 ${fmt(b["r@5"], 1)} vs ${fmt(a["r@5"], 1)} (${d5 >= 0 ? "+" : ""}${fmt(d5, 1)}), ` +
        `R@10 ${fmt(b["r@10"], 1)} vs ${fmt(a["r@10"], 1)} (${d10 >= 0 ? "+" : ""}${fmt(d10, 1)}): within 3 points ${ok ? "met" : "MISSED"}`,
    );
  }

  if (values.json) {
    const strip = ({ questions: _q, ...s }: RecallSummary) => s;
    const json = Object.fromEntries(
      rankings.map((r) => [
        r.name,
        {
          overall: strip(summarise(r.questions)),
          by_category: Object.fromEntries(
            Object.entries(byCategory(r.questions)).map(([k, s]) => [k, strip(s)]),
          ),
          by_conversation: Object.fromEntries(
            ids.map((id) => [id, strip(summarise(r.questions.filter((q) => q.conversation === id)))]),
          ),
          search_ms: latency(r.questions),
          ingest_ms: Math.round(r.ingestMs),
          prepare_ms: Math.round(r.prepareMs),
        },
      ]),
    );
    writeFileSync(values.json, `${JSON.stringify({ questions, rankings: json }, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();

/**
 * `npm run bench:insights [-- --json PATH] [--sizes 1000,10000]`
 *
 * Cost of the insights service on a SQLite store holding N captured turns
 * (the test fixtures' Claude Code sessions, repeated with new session ids and
 * later dates): the first full extraction, the incremental extraction the
 * capture hook runs after 5 new turns, `analyze` over the 100 most recent
 * turns, and `suggest`. The baseline, measured in the same run, is reading
 * every conversation turn of the user through `store.list` (what any
 * analysis must at least do); the ratios say how much the analysis adds.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { turnToMemory } from "../src/core/capture/legacy-turn.js";
import { validateConfig } from "../src/core/config.js";
import { silentLogger } from "../src/core/logger.js";
import type { AddInput } from "../src/core/types.js";
import { createInsights } from "../src/insights/index.js";
import { listAnalysable } from "../src/insights/turn-reader.js";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { ALL_SESSIONS, fixtureTurn } from "../test/insights/fixtures/load-fixtures.js";
import { elapsedMs } from "./lib/percentile.js";
import { fmt, formatTable } from "./lib/table.js";

const USER = "bench_user";
const CYCLE_DAYS = 40;

/** `count` turns: the fixture sessions again and again, each cycle 40 days later, texts made distinct. */
function turns(count: number): AddInput[] {
  const out: AddInput[] = [];
  for (let cycle = 0; out.length < count; cycle++) {
    for (const s of ALL_SESSIONS) {
      const session = { id: `${s.id.slice(0, -6)}${String(cycle).padStart(6, "0")}`, project: s.project };
      for (const [i, t] of s.turns.entries()) {
        if (out.length >= count) break;
        const at = Date.parse(s.start) + cycle * CYCLE_DAYS * 86_400_000 + i * 120_000;
        const reply = `${t.assistant}\n(run ${cycle})`;
        out.push(turnToMemory(fixtureTurn(session, t.user, reply, new Date(at).toISOString(), USER)));
      }
    }
  }
  return out;
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: elapsedMs(start), value };
}

interface SizeResult {
  turns: number;
  baseline_read_all_ms: number;
  extract_full_ms: number;
  extract_incremental_5_ms: number;
  analyze_100_ms: number;
  suggest_ms: number;
  derived_memories: number;
}

async function measure(size: number): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-insights-"));
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  try {
    const all = turns(size + 5);
    await store.addMany(all.slice(0, size));
    const config = validateConfig({ MEMORY_DATA_DIR: dir }, dir);
    const insights = createInsights({ store, config, logger: silentLogger });

    const baseline = await time(() => listAnalysable(store, { user_id: USER }, size + 10));
    const full = await time(() => insights.extractNew(USER));
    await store.addMany(all.slice(size));
    const incremental = await time(() => insights.extractNew(USER));
    const analyze = await time(() => insights.provider.analyze({ user_id: USER, limit: 100 }));
    const suggest = await time(() => insights.provider.suggest({ user_id: USER }));
    const stats = await store.stats(USER);
    return {
      turns: size,
      baseline_read_all_ms: baseline.ms,
      extract_full_ms: full.ms,
      extract_incremental_5_ms: incremental.ms,
      analyze_100_ms: analyze.ms,
      suggest_ms: suggest.ms,
      derived_memories: stats.memories - size - 5 - 1,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: "string" }, sizes: { type: "string", default: "1000,10000" } },
  });
  const sizes = (values.sizes ?? "").split(",").map((s) => Number.parseInt(s, 10));
  const results: SizeResult[] = [];
  for (const size of sizes) results.push(await measure(size));
  const ratio = (ms: number, base: number) => `${fmt(ms, 1)} (${fmt(ms / base, 1)}x)`;
  console.log(
    formatTable(
      [
        "turns",
        "read all (baseline) ms",
        "extract full ms",
        "extract +5 ms",
        "analyze 100 ms",
        "suggest ms",
        "derived",
      ],
      results.map((r) => [
        fmt(r.turns),
        fmt(r.baseline_read_all_ms, 1),
        ratio(r.extract_full_ms, r.baseline_read_all_ms),
        ratio(r.extract_incremental_5_ms, r.baseline_read_all_ms),
        ratio(r.analyze_100_ms, r.baseline_read_all_ms),
        ratio(r.suggest_ms, r.baseline_read_all_ms),
        fmt(r.derived_memories),
      ]),
    ),
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ results }, null, 2)}\n`);
}

await main();

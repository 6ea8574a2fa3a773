import Database from "better-sqlite3";
import { buildFtsQuery } from "../../src/core/search/fts-query.js";
import type { LocomoConversation } from "./locomo-data.js";
import { type QuestionResult, RECALL_KS, recallAt, turnText } from "./locomo-eval.js";
import { elapsedMs } from "./percentile.js";

/**
 * The reference point measured in the same run: bare SQLite FTS5 BM25 (same
 * tokenizer, the same turn texts, the store's query words OR-ed) ranking the
 * turns of one conversation — the "BM25, SQLite FTS5 porter" row of the data
 * README. No store, no context, no time signals.
 */
export function ftsBaseline(conv: LocomoConversation): QuestionResult[] {
  const db = new Database(":memory:");
  try {
    db.exec(`CREATE VIRTUAL TABLE f USING fts5 (memory, dia_id UNINDEXED,
               tokenize = 'porter unicode61 remove_diacritics 2')`);
    const insert = db.prepare("INSERT INTO f (memory, dia_id) VALUES (?, ?)");
    db.transaction(() => {
      for (const t of conv.turns) insert.run(turnText(t), t.diaId);
    })();
    const search = db.prepare("SELECT dia_id FROM f WHERE f MATCH ? ORDER BY rank LIMIT ?").pluck();
    const limit = Math.max(...RECALL_KS);
    return conv.questions
      .filter((q) => q.evidence.length > 0)
      .map((q) => {
        const match = buildFtsQuery(q.question)?.match;
        const start = process.hrtime.bigint();
        const found = match === undefined ? [] : (search.all(match, limit) as string[]);
        const searchMs = elapsedMs(start);
        return {
          conversation: conv.id,
          category: q.category,
          recall: recallAt(found, q.evidence, RECALL_KS),
          searchMs,
        };
      });
  } finally {
    db.close();
  }
}

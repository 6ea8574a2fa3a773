import type Database from "better-sqlite3";
import { type Logger, silentLogger } from "../../core/logger.js";
import { readVarint } from "./term-statistics.js";

/**
 * Below this many leaf pages (~2,500 memories) the index is never merged by
 * the store: searching so small an index is fast whatever its layout.
 */
const MIN_INDEX_PAGES = 64;
/**
 * The index is merged into one segment once the pages outside its largest
 * segment reach this share of it: each merge rewrites the whole index, so
 * with a share s the merges of a growing store rewrite about (1 + s) / s
 * times its final size in all (17x at 1/16; at most once per addMany call).
 * 1/8 left the bench's 100,000 memories with 12% of the index outside the
 * largest segment and searches ~14% slower than merged (docs/search.md).
 */
const MERGE_SHARE = 1 / 16;

/**
 * Leaf pages of each segment of an FTS5 index, from its structure record
 * (row 10 of the `_data` table): a 4-byte cookie, an optional version-2 marker
 * (FF 00 00 01, whose segments carry five more fields), then the number of
 * levels, of segments and the write counter, and per level its merge state
 * and segments (id, first and last leaf page). Empty for an empty index.
 */
export function segmentPages(structure: Uint8Array | undefined): number[] {
  if (!structure || structure.length < 4) return [];
  let at = 4;
  const v2 = structure[4] === 0xff && structure[5] === 0 && structure[6] === 0 && structure[7] === 1;
  if (v2) at = 8;
  let levels: number;
  [levels, at] = readVarint(structure, at);
  [, at] = readVarint(structure, at); // segments
  [, at] = readVarint(structure, at); // write counter
  const pages: number[] = [];
  for (let level = 0; level < levels && at < structure.length; level++) {
    let segments: number;
    [, at] = readVarint(structure, at); // segments being merged into the next level
    [segments, at] = readVarint(structure, at);
    for (let s = 0; s < segments; s++) {
      let first: number;
      let last: number;
      [, at] = readVarint(structure, at); // segment id
      [first, at] = readVarint(structure, at);
      [last, at] = readVarint(structure, at);
      if (v2) for (let extra = 0; extra < 5; extra++) [, at] = readVarint(structure, at);
      pages.push(last - first + 1);
    }
  }
  return pages;
}

/** Whether an index with these segments is due a merge into one (see MERGE_SHARE). */
export function mergeDue(pages: readonly number[]): boolean {
  if (pages.length < 2) return false;
  let total = 0;
  let largest = 0;
  for (const p of pages) {
    total += p;
    if (p > largest) largest = p;
  }
  return total >= MIN_INDEX_PAGES && total - largest >= largest * MERGE_SHARE;
}

/**
 * Keeps the full-text index in few segments. Every write transaction leaves
 * a new segment and FTS5's own automerge only folds segments of the same
 * level together, so a store filled in batches keeps several large ones
 * (100,000 memories in batches of 1,000: 9 segments, 3 of them ~730 pages):
 * each word of a search is then looked up in every segment, and the
 * newest-first lookups walk them all. After writes, once the pages outside
 * the largest segment reach 1/16 of it, the store merges the index into one
 * segment (FTS5 'optimize': the same rows, terms and BM25 statistics, so
 * searches return exactly what they did). Best effort: a merge that cannot
 * run now (another writer, a full disk) is left for a later write.
 */
export class FtsMaintenance {
  // Prepared at the first write, not at open (a read-only command never needs them).
  private structure: Database.Statement | null = null;
  private optimize: Database.Transaction<() => void> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Leaf pages per segment of the full-text index now. */
  pages(): number[] {
    this.structure ??= this.db.prepare("SELECT block FROM memories_fts_data WHERE id = 10").pluck();
    return segmentPages(this.structure.get() as Uint8Array | undefined);
  }

  /** After a write: merges the index when due (see the class). Returns whether it merged. */
  afterWrite(): boolean {
    try {
      if (!mergeDue(this.pages())) return false;
      if (!this.optimize) {
        const optimize = this.db.prepare("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')");
        // Read again inside the write lock: another process may have merged meanwhile.
        this.optimize = this.db.transaction(() => {
          if (mergeDue(this.pages())) optimize.run();
        });
      }
      const start = process.hrtime.bigint();
      this.optimize.immediate();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      this.logger.debug("full-text index merged", { ms: Math.round(ms) });
      return true;
    } catch (error) {
      this.logger.debug("full-text index merge skipped", {
        code: (error as { code?: unknown } | null)?.code ?? String(error),
      });
      return false;
    }
  }
}

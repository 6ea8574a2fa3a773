/**
 * Computes the vectors of memories that have none, off the write path: in
 * batches, in the background of a long-running process (proxy, MCP server)
 * or all at once with progress (`embeddings backfill`). When the endpoint
 * fails the background loop backs off and retries; nothing is lost, since a
 * memory without a vector is simply still pending.
 */
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Embedder } from "../core/search/embedder.js";

/** What the indexer needs of a store. */
export interface VectorIndex<T extends { text: string }> {
  pending(limit: number): T[];
  pendingCount(): number;
  /** Returns how many were stored (a memory edited or deleted meanwhile is skipped). */
  write(items: readonly T[], vectors: readonly Float32Array[]): number;
}

export interface IndexerOptions {
  /** Texts per request (default 32). */
  batchSize?: number | undefined;
  /** Background: first wait after a failure, doubled up to maxBackoffMs (defaults 5 s, 5 min). */
  backoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  /** Background: how long to wait for new memories when nothing is pending (default 10 s). */
  idleMs?: number | undefined;
}

export class EmbeddingIndexer<T extends { text: string }> {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private failures = 0;
  private readonly batchSize: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly index: VectorIndex<T>,
    private readonly embedder: Embedder,
    private readonly logger: Logger,
    opts: IndexerOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 32;
    this.backoffMs = opts.backoffMs ?? 5000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 300_000;
    this.idleMs = opts.idleMs ?? 10_000;
  }

  /** Embeds one batch of pending memories; returns how many were stored (0 when none is pending). */
  async runBatch(): Promise<number> {
    const items = this.index.pending(this.batchSize);
    if (items.length === 0) return 0;
    const vectors = await this.embedder.embed(items.map((i) => i.text));
    return Math.max(1, this.index.write(items, vectors));
  }

  /** Embeds every pending memory; throws the endpoint's error (what was stored stays stored). */
  async backfill(onProgress: (done: number, total: number) => void = () => {}): Promise<number> {
    const total = this.index.pendingCount();
    let done = 0;
    onProgress(0, total);
    for (;;) {
      const stored = await this.runBatch();
      if (stored === 0) break;
      done = Math.min(total, done + stored);
      onProgress(done, total);
    }
    return done;
  }

  /** Starts the background loop (timers do not keep the process alive). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** New memories were written: run soon instead of after the idle wait. */
  nudge(): void {
    if (this.stopped || this.running || this.failures > 0) return;
    this.schedule(100);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.running) return;
    this.running = true;
    let next = this.idleMs;
    try {
      const stored = await this.runBatch();
      if (this.failures > 0) this.logger.info("embeddings endpoint answers again; indexing resumed", {});
      this.failures = 0;
      if (stored > 0) next = 0;
    } catch (e) {
      if (this.failures === 0) {
        this.logger.warn("embedding memories failed; will retry", { error: errorMessage(e) });
      }
      this.failures++;
      next = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.failures - 1));
    } finally {
      this.running = false;
    }
    this.schedule(next);
  }
}

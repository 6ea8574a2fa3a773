/**
 * The query's vector for one search, or null: search never waits long for
 * the embeddings endpoint and never fails because of it. After a failure the
 * endpoint is left alone for `retryAfterMs` (searches are lexical meanwhile),
 * and the outage is logged once, not once per search.
 */
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Embedder } from "../core/search/embedder.js";

export interface QueryEmbedderOptions {
  /** How long one search waits for the query's vector (default 2 s). */
  timeoutMs?: number | undefined;
  /** How long after a failure searches stay lexical before trying again (default 30 s). */
  retryAfterMs?: number | undefined;
  now?: (() => number) | undefined;
}

export class QueryEmbedder {
  private downUntil = 0;
  private down = false;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    readonly embedder: Embedder,
    private readonly logger: Logger,
    opts: QueryEmbedderOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.retryAfterMs = opts.retryAfterMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** Whether the last attempt failed (searches are lexical). */
  get unavailable(): boolean {
    return this.down;
  }

  async vector(query: string): Promise<Float32Array | null> {
    if (this.now() < this.downUntil) return null;
    try {
      const [v] = await this.embedder.embed([query], { timeoutMs: this.timeoutMs });
      if (this.down) this.logger.info("embeddings endpoint answers again; search uses it", {});
      this.down = false;
      return v ?? null;
    } catch (e) {
      if (!this.down) {
        this.logger.warn("embeddings endpoint failed; search is lexical until it answers", {
          error: errorMessage(e),
          retry_in_ms: this.retryAfterMs,
        });
      }
      this.down = true;
      this.downUntil = this.now() + this.retryAfterMs;
      return null;
    }
  }
}

import { MemoryError } from "../errors.js";

/**
 * Turns texts into vectors (an embedding model). Implementations do I/O; the
 * store only calls `embed` off the write path (background indexing) and once
 * per search for the query.
 */
export interface Embedder {
  /** Names the vector space: vectors of different models are never compared. */
  readonly model: string;
  /** One vector per text, in order, all of the same length. */
  embed(texts: readonly string[], options?: { timeoutMs?: number | undefined }): Promise<Float32Array[]>;
}

/** The embeddings endpoint failed, timed out or answered something that is not a set of vectors. */
export class EmbeddingsError extends MemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("EMBEDDINGS_FAILED", message, options);
    this.name = "EmbeddingsError";
  }
}

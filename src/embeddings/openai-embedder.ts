/**
 * An OpenAI-compatible embeddings endpoint (`POST /v1/embeddings`, as served
 * by Ollama, LM Studio, llama.cpp, vLLM and OpenAI): texts in, one vector per
 * text out. The answer is checked strictly: one finite vector per input, all
 * of one length. Failures are EmbeddingsError; the key is never logged.
 */
import { z } from "zod";
import { type Embedder, EmbeddingsError } from "../core/search/embedder.js";

export interface OpenAiEmbedderOptions {
  /** Base URL (`http://localhost:11434`, `…/v1`) or the full `…/v1/embeddings` address. */
  url: string;
  model: string;
  apiKey?: string | undefined;
  /** Per request, unless a call says otherwise (default 30 s). */
  timeoutMs?: number | undefined;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch | undefined;
}

const response = z.object({
  data: z
    .array(
      z.object({
        embedding: z.array(z.number().finite()).min(1),
        index: z.number().int().min(0).optional(),
      }),
    )
    .min(1),
});

/** `…/v1/embeddings` from whichever form of the address a person gave. */
export function embeddingsEndpoint(url: string): string {
  const base = url.trim().replace(/\/+$/, "");
  if (/\/embeddings$/.test(base)) return base;
  if (/\/v1$/.test(base)) return `${base}/embeddings`;
  return `${base}/v1/embeddings`;
}

export class OpenAiEmbedder implements Embedder {
  readonly model: string;
  private readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(opts: OpenAiEmbedderOptions) {
    this.model = opts.model;
    this.endpoint = embeddingsEndpoint(opts.url);
    this.apiKey = opts.apiKey;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  /** Where requests go (no credentials in it). */
  get address(): string {
    return this.endpoint;
  }

  async embed(
    texts: readonly string[],
    options: { timeoutMs?: number | undefined } = {},
  ): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let res: Response;
    try {
      res = await this.fetch(this.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: this.model, input: texts, encoding_format: "float" }),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
      });
    } catch (e) {
      const reason = e instanceof Error && e.name === "TimeoutError" ? "timed out" : "unreachable";
      throw new EmbeddingsError(`embeddings endpoint ${this.endpoint} ${reason}`, { cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new EmbeddingsError(`embeddings endpoint ${this.endpoint} answered HTTP ${res.status}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (e) {
      throw new EmbeddingsError(`embeddings endpoint ${this.endpoint} answered something that is not JSON`, {
        cause: e,
      });
    }
    return this.vectors(body, texts.length);
  }

  private vectors(body: unknown, expected: number): Float32Array[] {
    const parsed = response.safeParse(body);
    if (!parsed.success) {
      throw new EmbeddingsError(`embeddings endpoint ${this.endpoint} answered without a list of vectors`);
    }
    const items = parsed.data.data;
    if (items.length !== expected) {
      throw new EmbeddingsError(
        `embeddings endpoint ${this.endpoint} answered ${items.length} vectors for ${expected} texts`,
      );
    }
    const ordered = items.every((d) => d.index !== undefined)
      ? [...items].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      : items;
    const dims = ordered[0]?.embedding.length ?? 0;
    if (ordered.some((d, i) => d.embedding.length !== dims || (d.index !== undefined && d.index !== i))) {
      throw new EmbeddingsError(`embeddings endpoint ${this.endpoint} answered vectors of different lengths`);
    }
    return ordered.map((d) => Float32Array.from(d.embedding));
  }
}

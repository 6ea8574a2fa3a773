import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A strict local stand-in for an OpenAI-compatible embeddings endpoint
 * (`POST /v1/embeddings`) on 127.0.0.1, port 0. It refuses what such servers
 * refuse — another path or method (404/405), a body that is not JSON (400), a
 * missing or unknown model (404), an `input` that is not a non-empty string
 * or list of non-empty strings (400), unknown fields (400), a wrong bearer
 * key (401) — and serves deterministic vectors: each word is hashed into
 * `dims` dimensions, words the `concepts` map sends to the same concept land
 * in the same place, and the sum is normalised. So texts that share words
 * (or concepts) are near, and a test can make a text that shares no word with
 * a query near it. It can also be told to fail (status, hang, wrong count).
 */
export type EmbeddingsFault = { kind: "status"; status: number } | { kind: "hang" } | { kind: "wrong-count" };

export interface EmbeddingsStandInOptions {
  model: string;
  dims?: number;
  apiKey?: string;
  /** word → concept: words of one concept get the same vector. */
  concepts?: Record<string, string>;
}

const ALLOWED_FIELDS = new Set(["model", "input", "encoding_format", "dimensions", "user"]);

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export class EmbeddingsStandIn {
  /** Texts embedded per request, in order. */
  readonly requests: string[][] = [];
  fault: EmbeddingsFault | null = null;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private readonly dims: number;
  private port = 0;

  constructor(private readonly opts: EmbeddingsStandInOptions) {
    this.dims = opts.dims ?? 64;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return this.url;
  }

  /** The base URL (clients append /v1/embeddings). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The vector this stand-in serves for `text`. */
  vector(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const concept = this.opts.concepts?.[word] ?? word;
      const h = hash(concept);
      const i = h % this.dims;
      v[i] = (v[i] ?? 0) + ((h >>> 16) & 1 ? 1 : -1);
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (norm === 0) v[0] = 1;
    return norm === 0 ? v : v.map((x) => x / norm);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, message: string) => send(status, { error: { message } });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url !== "/v1/embeddings") return error(404, `no route ${req.url}`);
    if (req.method !== "POST") return error(405, "use POST");
    if (this.opts.apiKey && req.headers.authorization !== `Bearer ${this.opts.apiKey}`) {
      return error(401, "invalid api key");
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return error(400, "content-type must be application/json");
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return error(400, "body is not JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return error(400, "body is not an object");
    const unknown = Object.keys(body).filter((k) => !ALLOWED_FIELDS.has(k));
    if (unknown.length > 0) return error(400, `unknown fields: ${unknown.join(", ")}`);
    if (body.model !== this.opts.model) return error(404, `model "${String(body.model)}" not found`);
    if (body.encoding_format !== undefined && body.encoding_format !== "float") {
      return error(400, "encoding_format must be float");
    }
    const input = typeof body.input === "string" ? [body.input] : body.input;
    if (
      !Array.isArray(input) ||
      input.length === 0 ||
      !input.every((t) => typeof t === "string" && t !== "")
    ) {
      return error(400, "input must be a non-empty string or a list of non-empty strings");
    }
    const texts = input as string[];
    this.requests.push(texts);
    const fault = this.fault;
    if (fault?.kind === "hang") {
      this.hung.add(res);
      return;
    }
    if (fault?.kind === "status") return error(fault.status, "failing on purpose");
    const served = fault?.kind === "wrong-count" ? texts.slice(1) : texts;
    // Answer in reverse order with explicit indexes: clients must order by index.
    const data = served
      .map((t, index) => ({ object: "embedding", index, embedding: this.vector(t) }))
      .reverse();
    send(200, { object: "list", model: this.opts.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } });
  }
}

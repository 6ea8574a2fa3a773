import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Mem0Routes, StubHttpError } from "./mem0-stub-routes.js";
import { StubState } from "./mem0-stub-state.js";

/**
 * A strict local stand-in for the Mem0 Platform REST API (v1/v2/v3 paths as
 * the official SDKs call them) on 127.0.0.1, port 0. It refuses what the
 * Platform refuses — a wrong or missing `Authorization: Token` header (401),
 * a path without its trailing slash (301 for GET, 404 otherwise), a missing
 * entity id or a malformed filter (400), unknown body fields — and can be told
 * to fail: 429 with Retry-After, 5xx, a request that never gets an answer,
 * a reset connection, or the whole server down.
 */

export type Mem0Fault =
  | { kind: "status"; status: number; retryAfter?: string; times?: number; match?: RouteMatch }
  | { kind: "hang"; times?: number; match?: RouteMatch }
  | { kind: "reset"; times?: number; match?: RouteMatch };

export type RouteMatch = (method: string, path: string) => boolean;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number | "hang" | "reset";
}

export interface Mem0StubOptions {
  apiKey: string;
  /** v3 add answers PENDING (default) or the finished write at once. */
  addMode?: "async" | "sync";
  /** Polls of an event that still say PENDING after the write is done (default 1). */
  minPendingPolls?: number;
  /** The order of list answers (default newest first). */
  listOrder?: "newest" | "oldest";
}

export class Mem0Stub {
  readonly state = new StubState();
  readonly requests: RecordedRequest[] = [];
  private faults: (Mem0Fault & { left: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private server: Server;
  private readonly routes: Mem0Routes;
  private port = 0;

  private constructor(readonly options: Mem0StubOptions) {
    this.routes = new Mem0Routes(this.state, {
      addMode: options.addMode ?? "async",
      minPendingPolls: options.minPendingPolls ?? 1,
      listOrder: options.listOrder ?? "newest",
    });
    this.server = this.makeServer();
  }

  static async start(options: Mem0StubOptions): Promise<Mem0Stub> {
    const stub = new Mem0Stub(options);
    await stub.listen();
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues a fault for the next matching request(s) (`times`, default 1). */
  fail(fault: Mem0Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Requests that reached a route (not faults), optionally only one method + path prefix. */
  served(method?: string, pathPrefix?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        typeof r.status === "number" &&
        (method === undefined || r.method === method) &&
        (pathPrefix === undefined || r.path.startsWith(pathPrefix)),
    );
  }

  /** Stops accepting connections and drops open ones: clients see ECONNREFUSED. */
  async down(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** Listens again on the same port, state intact. */
  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        const address = this.server.address();
        if (address && typeof address === "object") this.port = address.port;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stub");
    const text = await readBody(req);
    const entry: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: safeJson(text),
      status: 0,
    };
    this.requests.push(entry);
    const fault = this.faults.find((f) => f.left > 0 && (f.match?.(entry.method, entry.path) ?? true));
    if (fault) {
      fault.left--;
      if (fault.kind === "reset") {
        entry.status = "reset";
        req.socket.destroy();
        return;
      }
      if (fault.kind === "hang") {
        entry.status = "hang";
        this.hung.add(res);
        return;
      }
      entry.status = fault.status;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(JSON.stringify({ detail: `injected HTTP ${fault.status}` }));
      return;
    }
    let status = 200;
    let body: unknown;
    const headers: Record<string, string> = { "content-type": "application/json" };
    try {
      if (!url.pathname.endsWith("/")) {
        // Django's APPEND_SLASH: GET is redirected, other methods find nothing.
        if (entry.method === "GET") {
          status = 301;
          headers.location = `${url.pathname}/${url.search}`;
          body = {};
        } else throw new StubHttpError(404, { detail: "Not found." });
      } else {
        this.authorize(req.headers.authorization);
        if (text !== "" && entry.body === undefined)
          throw new StubHttpError(400, { detail: "JSON parse error" });
        [status, body] = this.routes.dispatch(entry.method, url.pathname, entry.query, entry.body);
      }
    } catch (e) {
      if (!(e instanceof StubHttpError)) throw e;
      status = e.status;
      body = e.body;
    }
    entry.status = status;
    res.writeHead(status, headers).end(status === 204 ? undefined : JSON.stringify(body));
    setImmediate(() => this.state.drain());
  }

  private authorize(header: string | undefined): void {
    if (header === undefined)
      throw new StubHttpError(401, { detail: "Authentication credentials were not provided." });
    if (header !== `Token ${this.options.apiKey}`)
      throw new StubHttpError(401, { detail: "Invalid API key" });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function safeJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

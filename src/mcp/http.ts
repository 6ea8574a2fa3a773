import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { identify } from "../auth/tokens.js";
import type { Identity } from "../core/access.js";
import type { Logger } from "../core/logger.js";
import { tokenFingerprint } from "../core/token-mask.js";
import { bearerToken, hasBearerToken, isAllowedOrigin, isLoopbackHost } from "../http/loopback-guard.js";
import type { SecurityEvents } from "../http/security-events.js";

export const MCP_PATH = "/mcp";
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * How requests authenticate: one shared bearer token (single user), or team
 * mode's per-person tokens from `<dataDir>/tokens.json`, each deciding the
 * user its session acts for.
 */
export type HttpAuth = { mode: "token"; token: string } | { mode: "tokens"; dataDir: string };

export interface HttpServeOptions {
  /** 0 picks a free port. */
  port: number;
  auth: HttpAuth;
  /** A fresh MCP server per session (they share the store); in team mode, bound to the token's identity. */
  createServer: (identity?: Identity) => McpServer;
  logger: Logger;
  maxSessions?: number;
  /** Where refusals are recorded (a warn line each, bursts once per window). */
  security?: SecurityEvents | undefined;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  sessions(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
  /** Team mode: the fingerprint of the token that opened it; every later request must present the same. */
  tokenId?: string | undefined;
}

type Authentication = { ok: true; identity?: Identity } | { ok: false; status: 401 | 403; message: string };

const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="mcp-mitm-mem0"' };

/**
 * The one place a request to the MCP endpoint is let in or refused (after
 * the Host and Origin checks). Team mode reads the token file on every
 * request, so a revoked token is refused at its next request, open session
 * or not; a session only answers the token that opened it.
 */
export function authenticateMcpRequest(
  auth: HttpAuth,
  authorization: string | string[] | undefined,
  session: { tokenId?: string | undefined } | undefined,
): Authentication {
  if (auth.mode === "token") {
    return hasBearerToken(authorization, auth.token)
      ? { ok: true }
      : {
          ok: false,
          status: 401,
          message: "Unauthorized: send Authorization: Bearer <token> (see mcp-http-token)",
        };
  }
  const identity = identify(auth.dataDir, bearerToken(authorization));
  if (!identity)
    return {
      ok: false,
      status: 401,
      message:
        "Unauthorized: team mode needs your personal token as Authorization: Bearer <token> (an admin makes one with `mcp-mitm-mem0 token create --user <you>`); this one is unknown or revoked",
    };
  if (session && session.tokenId !== identity.tokenId)
    return { ok: false, status: 403, message: "Forbidden: this session was opened with another token" };
  return { ok: true, identity };
}

function sendJson(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BodyError(400, "request body is not valid JSON");
  }
}

/**
 * Streamable HTTP on 127.0.0.1 with stateful sessions. Every request must
 * name a loopback Host, come from no or a loopback Origin, and carry the
 * bearer token.
 */
export async function serveHttp(options: HttpServeOptions): Promise<RunningHttpServer> {
  const { logger, auth } = options;
  const maxSessions = options.maxSessions ?? 64;
  const sessions = new Map<string, Session>();

  /** Clients often never send DELETE: when full, the least recently used session makes room. */
  const evictOldest = async () => {
    let oldest: [string, Session] | undefined;
    for (const entry of sessions) if (!oldest || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry;
    if (!oldest) return;
    sessions.delete(oldest[0]);
    logger.info("mcp http session evicted", { reason: "too many sessions" });
    await oldest[1].server.close();
  };

  const openSession = async (identity: Identity | undefined): Promise<StreamableHTTPServerTransport> => {
    if (sessions.size >= maxSessions) await evictOldest();
    const server = options.createServer(identity);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastUsed: Date.now(), tokenId: identity?.tokenId });
        logger.debug("mcp http session opened", { sessions: sessions.size });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      logger.debug("mcp http session closed", { sessions: sessions.size });
    };
    await server.connect(transport);
    return transport;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = (reason: string, extra: Record<string, string> = {}) =>
      options.security?.record("mcp_http_refused", {
        reason,
        peer: req.socket.remoteAddress,
        method: req.method,
        ...extra,
      });
    if (!isLoopbackHost(req.headers.host)) {
      refused("foreign_host", { host: String(req.headers.host ?? "").slice(0, 100) });
      return sendJson(res, 403, "Forbidden: Host must be 127.0.0.1 or localhost");
    }
    if (!isAllowedOrigin(req.headers.origin)) {
      refused("foreign_origin", { origin: String(req.headers.origin).slice(0, 100) });
      return sendJson(res, 403, "Forbidden: Origin not allowed");
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path !== MCP_PATH) return sendJson(res, 404, `Not found: the MCP endpoint is ${MCP_PATH}`);
    const sessionHeader = req.headers["mcp-session-id"];
    const sessionId = typeof sessionHeader === "string" ? sessionHeader : undefined;
    const session = sessionId ? sessions.get(sessionId) : undefined;
    const authn = authenticateMcpRequest(auth, req.headers.authorization, session);
    if (!authn.ok) {
      const presented = bearerToken(req.headers.authorization);
      if (authn.status === 403) refused("other_session_token");
      else if (presented) refused("wrong_token", { presented: tokenFingerprint(presented) });
      else refused(req.headers.authorization ? "unsupported_authorization" : "missing_token");
      return sendJson(res, authn.status, authn.message, authn.status === 401 ? UNAUTHORIZED_HEADERS : {});
    }
    if (session) session.lastUsed = Date.now();
    if (req.method === "POST") {
      const body = await readJson(req);
      if (session) return session.transport.handleRequest(req, res, body);
      if (sessionId) return sendJson(res, 404, "Session not found: initialize a new session");
      if (!isInitializeRequest(body))
        return sendJson(res, 400, "Bad Request: no session; send initialize first");
      const transport = await openSession(authn.identity);
      await transport.handleRequest(req, res, body);
      // A failed initialize leaves no session behind.
      if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await transport.close();
      return;
    }
    if (req.method === "GET" || req.method === "DELETE") {
      if (!sessionId) return sendJson(res, 400, "Bad Request: missing Mcp-Session-Id header");
      if (!session) return sendJson(res, 404, "Session not found: initialize a new session");
      return session.transport.handleRequest(req, res);
    }
    return sendJson(res, 405, "Method not allowed", { allow: "GET, POST, DELETE" });
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof BodyError) {
        options.security?.record("request_refused", {
          reason: e.status === 413 ? "body_too_large" : "malformed_json",
          status: e.status,
          peer: req.socket.remoteAddress,
          method: req.method,
        });
        return sendJson(res, e.status, e.message);
      }
      logger.error("mcp http request failed", { error: e instanceof Error ? e.message : String(e) });
      sendJson(res, 500, "Internal server error");
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, "127.0.0.1", () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${MCP_PATH}`;
  logger.info("mcp server ready", { transport: "http", port });

  return {
    url,
    port,
    sessions: () => sessions.size,
    async close() {
      options.security?.close();
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((s) => s.server.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

import type * as http from "node:http";
import type { Socket } from "node:net";
import type { Dispatcher } from "undici";
import { CAPTURED_USER_HEADER } from "../../core/capture/exchange-episode.js";
import { DEFAULT_NOISE_RULES } from "../../core/capture/index.js";
import { classifyRoute } from "../../core/capture/noise-filter.js";
import type { Logger } from "../../core/logger.js";
import type { SecurityEvents } from "../../http/security-events.js";
import type { Count } from "../capture-stats.js";
import type { PreparedRequest, RequestInjector } from "../injection/request-injector.js";
import { sendProxyError } from "./error-response.js";
import { type ActiveStream, forwardRequest, isTlsFailure, type RawExchange } from "./forward.js";
import {
  isLoopbackHost,
  type ProxyCaller,
  type ProxyGate,
  proxyCaller,
  refusedToken,
  reverseCaller,
} from "./proxy-auth.js";
import { HEALTH_PATH } from "./proxy-status.js";
import type { UpstreamTarget } from "./upstream.js";

/**
 * Decides what each HTTP request is:
 * - on a decrypted CONNECT socket → the upstream, captured;
 * - absolute URI (`GET http://host/...`) → proxy traffic: intercepted hosts
 *   (and the proxy's own address) go to the upstream and are captured, other
 *   origins are forwarded as they are;
 * - origin form (`POST /v1/messages`) → reverse traffic to the upstream, captured;
 * - `GET /__mcp-mitm-mem0/health` → answered here (doctor, status).
 */

export const CAPTURE_CAP_BYTES = 8 * 1024 * 1024;

export interface InterceptedSocket {
  host: string;
  token: string | null;
}

/**
 * The exchange as capture gets it: the caller's user (team mode) in the
 * internal header the episode builder reads, and never a client's own header
 * of that name (nobody names a user by sending it).
 */
function forCapture(exchange: RawExchange, caller: ProxyCaller): RawExchange {
  const { [CAPTURED_USER_HEADER]: _client, ...headers } = exchange.requestHeaders;
  if (caller.user) headers[CAPTURED_USER_HEADER] = caller.user;
  return { ...exchange, requestHeaders: headers };
}

export interface RouterDeps {
  upstream: UpstreamTarget;
  passthroughAgent: Dispatcher;
  interceptHosts: ReadonlySet<string>;
  /** Absent: no authentication. Team mode's gate names each caller's user. */
  gate: ProxyGate | undefined;
  /** Team mode: the health endpoint answers loopback peers without a token (status, doctor). */
  team?: boolean | undefined;
  capBytes: number;
  count: Count;
  streams: Set<ActiveStream>;
  /** Sockets decrypted from CONNECT, with the host the client asked for and the token the CONNECT carried. */
  interceptedSockets: WeakMap<Socket, InterceptedSocket>;
  /** The proxy's own port (absolute URIs that point at it are reverse traffic). */
  ownPort: () => number;
  health: () => Record<string, unknown>;
  /**
   * Called synchronously before the client sees the end of the reply (see
   * `ForwardOptions.onCaptured`); the exchange is durable when it returns.
   */
  onExchange(raw: RawExchange): void;
  /** Proxy-side recall (MEMORY_INJECT=on); absent: every byte forwarded as it came. */
  injector?: RequestInjector | undefined;
  /** Upstream failures are logged (status and host; never content). */
  logger?: Logger | undefined;
  /** Refused authentication, refused requests and failed upstream TLS are security events. */
  security?: SecurityEvents | undefined;
}

function upstreamPath(deps: RouterDeps, path: string): string {
  return `${deps.upstream.basePath}${path.startsWith("/") ? path : `/${path}`}`;
}

function toUpstream(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: RouterDeps,
  path: string,
  captureHost: string,
  caller: ProxyCaller,
): void {
  const route = classifyRoute({ method: req.method ?? "GET", path }, DEFAULT_NOISE_RULES);
  deps.count("exchanges");
  const injector = deps.injector;
  if (injector && route.capture && req.method === "POST" && isMessagesPath(path) && injector.accepts(req)) {
    injector.prepare(req, caller.user).then(
      (prepared) => {
        forward(req, res, deps, path, captureHost, caller, route.capture, prepared);
        // The ledger row is written now that the request is on its way, before any reply can come back.
        prepared.commit();
      },
      () => {
        // The client's body could not be read (it went away): nothing to forward.
        deps.count("rejected");
        res.destroy();
      },
    );
    return;
  }
  forward(req, res, deps, path, captureHost, caller, route.capture, undefined);
}

/** `/v1/messages` (not count_tokens, not batches), with or without a query. */
function isMessagesPath(path: string): boolean {
  return /^\/v1\/messages(?:\?|$)/.test(path);
}

function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: RouterDeps,
  path: string,
  captureHost: string,
  caller: ProxyCaller,
  capture: boolean,
  prepared: PreparedRequest | undefined,
): void {
  forwardRequest(req, res, {
    body: prepared,
    responseHeaders: prepared?.responseHeaders,
    target: {
      origin: deps.upstream.origin,
      path: upstreamPath(deps, path),
      hostHeader: deps.upstream.hostHeader,
      dispatcher: deps.upstream.dispatcher,
    },
    streams: deps.streams,
    // Requests that can never be turns (probes, settings, telemetry) are forwarded without a tee.
    capture: capture ? { host: captureHost, path, capBytes: deps.capBytes } : null,
    // Made durable before the client sees the end of the reply.
    onCaptured: (exchange) => deps.onExchange(forCapture(exchange, caller)),
    onDone: ({ status, failure, exchange }) => {
      if (status === null) {
        deps.count("upstreamErrors");
        deps.logger?.warn("upstream error", { host: deps.upstream.hostHeader, code: failure ?? "error" });
        if (failure && isTlsFailure(failure)) {
          deps.security?.record("upstream_tls_failed", {
            reason: "verify_failed",
            host: deps.upstream.hostHeader,
            code: failure,
            fix: "the upstream's certificate is not trusted: set UPSTREAM_CA_FILE if it uses a private CA, or check UPSTREAM_URL",
          });
        }
      }
      if (!exchange) deps.count("skippedNoise");
    },
  });
}

function passthrough(req: http.IncomingMessage, res: http.ServerResponse, deps: RouterDeps, url: URL): void {
  deps.count("passthrough");
  forwardRequest(req, res, {
    target: {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      hostHeader: url.host,
      dispatcher: deps.passthroughAgent,
    },
    streams: deps.streams,
    capture: null,
    onDone: ({ status }) => {
      if (status === null) deps.count("upstreamErrors");
    },
  });
}

function peerOf(req: http.IncomingMessage): string | undefined {
  return req.socket.remoteAddress;
}

/** A request refused as malformed: counted, a security event, and a 400. */
function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: RouterDeps,
  reason: string,
  message: string,
) {
  deps.count("rejected");
  deps.security?.record("request_refused", { reason, status: 400, peer: peerOf(req), method: req.method });
  sendProxyError(res, 400, "invalid_request_error", message);
}

function proxyAuthFailed(req: http.IncomingMessage, res: http.ServerResponse, deps: RouterDeps): void {
  deps.count("rejected");
  deps.security?.record("proxy_auth_refused", {
    ...refusedToken(req.headers),
    peer: peerOf(req),
    method: req.method,
  });
  const what = deps.team
    ? "your personal token (team mode; `mcp-mitm-mem0 token create --user <you>`), unknown or revoked"
    : "PROXY_AUTH_TOKEN";
  sendProxyError(res, 407, "authentication_error", `proxy authentication required (${what})`, {
    "proxy-authenticate": 'Basic realm="mcp-mitm-mem0"',
  });
}

export function createRequestHandler(deps: RouterDeps): http.RequestListener {
  return (req, res) => {
    const url = req.url ?? "/";
    const intercepted = deps.interceptedSockets.get(req.socket);
    if (intercepted !== undefined) {
      // Authenticated at CONNECT time, and again for each request: a revoked token stops at once.
      const caller = !deps.gate ? {} : intercepted.token === null ? null : deps.gate(intercepted.token);
      if (!caller) {
        res.shouldKeepAlive = false;
        return proxyAuthFailed(req, res, deps);
      }
      toUpstream(req, res, deps, url.startsWith("/") ? url : "/", intercepted.host, caller);
      return;
    }
    if (/^https?:\/\//i.test(url)) {
      const caller = deps.gate ? proxyCaller(req.headers, deps.gate) : {};
      if (!caller) return proxyAuthFailed(req, res, deps);
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return refuse(req, res, deps, "malformed_uri", "malformed absolute URI");
      }
      const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      const path = `${target.pathname}${target.search}`;
      const toSelf = isLoopbackHost(host) && Number(target.port || 80) === deps.ownPort();
      if (deps.interceptHosts.has(host) || toSelf) return toUpstream(req, res, deps, path, host, caller);
      if (target.protocol !== "http:") {
        return refuse(req, res, deps, "https_without_connect", "use CONNECT for https:// through this proxy");
      }
      return passthrough(req, res, deps, target);
    }
    if (!url.startsWith("/"))
      return refuse(req, res, deps, "unsupported_target", "unsupported request target");
    let path = url;
    let caller: ProxyCaller = {};
    const healthProbe =
      deps.team === true &&
      url === HEALTH_PATH &&
      (req.method === "GET" || req.method === "HEAD") &&
      isLoopbackHost(req.socket.remoteAddress ?? "");
    if (deps.gate && !healthProbe) {
      const ok = reverseCaller(req.headers, url, deps.gate);
      if (!ok) {
        deps.count("rejected");
        deps.security?.record("proxy_auth_refused", {
          ...refusedToken(req.headers, url),
          peer: peerOf(req),
          method: req.method,
        });
        return sendProxyError(
          res,
          401,
          "authentication_error",
          deps.team
            ? "this capture proxy is in team mode and needs your personal token (unknown or revoked): Proxy-Authorization: Bearer <token>, or a base URL ending in /t/<token>"
            : "this capture proxy needs its token: Proxy-Authorization: Bearer <PROXY_AUTH_TOKEN>, or a base URL ending in /t/<PROXY_AUTH_TOKEN>",
        );
      }
      path = ok.path;
      caller = { user: ok.user };
    }
    if (path === HEALTH_PATH && (req.method === "GET" || req.method === "HEAD")) {
      const body = JSON.stringify(deps.health());
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    toUpstream(req, res, deps, path, deps.upstream.hostname, caller);
  };
}

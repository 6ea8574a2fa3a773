import type { IncomingMessage } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import type { Logger } from "../../core/logger.js";
import { clientTlsAbortReason, type SecurityEvents } from "../../http/security-events.js";
import type { LeafCertCache } from "../tls/leaf-certs.js";
import { rawHttpError } from "./error-response.js";
import { type ProxyGate, proxyCaller, refusedToken, tokenFromProxyAuthorization } from "./proxy-auth.js";

/**
 * CONNECT: for an intercepted host, answer 200, terminate TLS with a leaf
 * from the project CA (HTTP/1.1 only) and hand the decrypted socket to the
 * HTTP server, whose requests then go to the upstream and are captured.
 * Every other host is tunnelled byte for byte and never decrypted.
 */

export interface ConnectDeps {
  interceptHosts: ReadonlySet<string>;
  leaves: LeafCertCache;
  /** Absent: no authentication (loopback without PROXY_AUTH_TOKEN or team mode). */
  gate: ProxyGate | undefined;
  /** Team mode: refusals name the personal token instead of PROXY_AUTH_TOKEN. */
  team?: boolean | undefined;
  connectTimeoutMs: number;
  logger: Logger;
  /** Gives a decrypted client socket to the HTTP server. */
  /** `token`: what the CONNECT presented, so that each request inside is checked again (revocation). */
  serveIntercepted(socket: TLSSocket, host: string, token: string | null): void;
  count(event: "intercepted" | "tunnelled" | "connectRejected" | "connectFailed"): void;
  /** Open CONNECT sockets (tunnelled, intercepted or mid-handshake), for shutdown. */
  sockets: Set<Duplex>;
  /** Refused authentication, a refused target and failed client handshakes are security events. */
  security?: SecurityEvents | undefined;
  /** The CA certificate clients must trust (named in the fix of a failed handshake). */
  caPath?: string | undefined;
}

const ESTABLISHED = "HTTP/1.1 200 Connection Established\r\n\r\n";

export function parseAuthority(authority: string | undefined): { host: string; port: number } | null {
  if (!authority || authority.length > 300 || /[\s/@?#]/.test(authority)) return null;
  let url: URL;
  try {
    url = new URL(`http://${authority}`);
  } catch {
    return null;
  }
  const port = Number(url.port);
  if (!url.port || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: url.hostname.replace(/^\[|\]$/g, "").toLowerCase(), port };
}

function reject(socket: Duplex, status: number, reason: string, message: string, extra = ""): void {
  if (!socket.destroyed) socket.end(rawHttpError(status, reason, message, extra));
}

export function handleConnect(req: IncomingMessage, socket: Duplex, head: Buffer, deps: ConnectDeps): void {
  socket.on("error", () => socket.destroy());
  deps.sockets.add(socket);
  socket.once("close", () => deps.sockets.delete(socket));
  const peer = (socket as Socket).remoteAddress;
  if (deps.gate && !proxyCaller(req.headers, deps.gate)) {
    deps.count("connectRejected");
    deps.security?.record("proxy_auth_refused", { ...refusedToken(req.headers), peer, method: "CONNECT" });
    reject(
      socket,
      407,
      "Proxy Authentication Required",
      deps.team
        ? "proxy authentication required (your personal token, team mode: unknown or revoked)"
        : "proxy authentication required (PROXY_AUTH_TOKEN)",
      'proxy-authenticate: Basic realm="mcp-mitm-mem0"\r\n',
    );
    return;
  }
  const target = parseAuthority(req.url);
  if (!target) {
    deps.count("connectRejected");
    deps.security?.record("request_refused", { reason: "bad_connect_target", status: 400, peer });
    reject(socket, 400, "Bad Request", "CONNECT needs host:port");
    return;
  }
  const token = tokenFromProxyAuthorization(req.headers["proxy-authorization"]);
  if (deps.interceptHosts.has(target.host)) intercept(socket, head, target.host, token, deps, peer);
  else tunnel(socket, head, target, deps);
}

function intercept(
  socket: Duplex,
  head: Buffer,
  host: string,
  token: string | null,
  deps: ConnectDeps,
  peer: string | undefined,
): void {
  deps.leaves.get(host).then(
    (leaf) => {
      if (socket.destroyed) return;
      socket.write(ESTABLISHED);
      if (head.length > 0) socket.unshift(head);
      const tls = new TLSSocket(socket as Socket, {
        isServer: true,
        secureContext: leaf.secureContext,
        ALPNProtocols: ["http/1.1"],
      });
      // A client that sends garbage (or distrusts the CA) fails the handshake; nothing else is affected.
      let settled = false;
      const onHandshakeError = (err: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        deps.logger.debug("TLS handshake with client failed", { host, code: err.code ?? "error" });
        deps.count("connectFailed");
        const reason = clientTlsAbortReason(err.code);
        deps.security?.record("tls_client_aborted", {
          reason,
          peer,
          host,
          code: err.code ?? "error",
          fix:
            reason === "handshake_failed"
              ? "the client could not speak TLS 1.2+ with HTTP/1.1 to the proxy; check its TLS settings"
              : `the client does not trust the capture CA: export NODE_EXTRA_CA_CERTS=${deps.caPath ?? "<ca.pem>"} (Node, Claude Code), or see \`mcp-mitm-mem0 ca install-hints\``,
        });
        tls.destroy();
        socket.destroy();
      };
      tls.once("error", onHandshakeError);
      // A client that hangs up mid-handshake (what Node does when it does not trust the CA) ends the stream.
      const onEnd = () =>
        onHandshakeError(Object.assign(new Error("client hung up"), { code: "ECONNRESET" }));
      tls.once("end", onEnd);
      tls.once("secure", () => {
        settled = true;
        tls.off("error", onHandshakeError);
        tls.off("end", onEnd);
        deps.count("intercepted");
        deps.serveIntercepted(tls, host, token);
      });
    },
    (err: unknown) => {
      deps.logger.error("could not issue a leaf certificate", { host, error: (err as Error).name });
      deps.count("connectFailed");
      reject(socket, 502, "Bad Gateway", "the capture proxy could not issue a certificate");
    },
  );
}

function tunnel(
  socket: Duplex,
  head: Buffer,
  target: { host: string; port: number },
  deps: ConnectDeps,
): void {
  const upstream = netConnect({ host: target.host, port: target.port });
  const timer = setTimeout(
    () => upstream.destroy(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" })),
    deps.connectTimeoutMs,
  );
  let established = false;
  upstream.once("connect", () => {
    clearTimeout(timer);
    if (socket.destroyed) {
      upstream.destroy();
      return;
    }
    established = true;
    deps.count("tunnelled");
    socket.write(ESTABLISHED);
    if (head.length > 0) upstream.write(head);
    // Raw bytes both ways; pipe() honours backpressure, and either side closing ends the other.
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (!established) {
      deps.count("connectFailed");
      reject(
        socket,
        502,
        "Bad Gateway",
        `the capture proxy could not reach ${target.host}:${target.port} (${err.code ?? "error"})`,
      );
    } else {
      socket.destroy();
    }
  });
  // A side that closes without ending cleanly tears the other down; clean ends flow through pipe().
  upstream.on("close", () => {
    if (!socket.writableEnded) socket.destroy();
  });
  socket.on("close", () => {
    clearTimeout(timer);
    if (!upstream.writableEnded) upstream.destroy();
  });
}

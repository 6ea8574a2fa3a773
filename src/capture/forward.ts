import * as http from "node:http";
import * as https from "node:https";
import { pipeline } from "node:stream";
import { BodyTee } from "./body-tee.js";
import { sendProxyError } from "./error-response.js";
import { endToEndHeaders, headerRecord } from "./hop-by-hop.js";

/**
 * Forwards one HTTP request and streams the response back chunk by chunk
 * (`pipeline`: backpressure both ways, an abort on either side tears down the
 * other). When asked, it keeps a bounded reference copy of both bodies for
 * capture; the copy never delays or blocks forwarding. Calls `onDone` once,
 * after the client's response has closed.
 */

export interface ForwardTarget {
  protocol: "http:" | "https:";
  hostname: string;
  port: number;
  /** Origin-form path to request upstream. */
  path: string;
  hostHeader: string;
  agent: http.Agent;
  servername?: string | undefined;
}

export interface ForwardTimeouts {
  /** TCP connect to the upstream. */
  connectMs: number;
  /** No byte either way for this long (waiting for the first byte included). */
  idleMs: number;
}

/** The raw material of a captured exchange (bodies still encoded). */
export interface RawExchange {
  method: string;
  path: string;
  host: string;
  requestHeaders: Record<string, string>;
  requestBody: BodyTee;
  status: number | null;
  responseHeaders: Record<string, string>;
  responseBody: BodyTee;
  responseComplete: boolean;
  startedAt: Date;
  endedAt: Date;
  /** A failure code without content (ECONNREFUSED, timeout, ...). */
  failure: string | null;
}

/** A response being forwarded (for the proxy's stream statistics). */
export interface ActiveStream {
  upstream: http.IncomingMessage;
  client: http.ServerResponse;
}

export interface ForwardOptions {
  target: ForwardTarget;
  /** The forwarder adds its stream here while the response flows. */
  streams: Set<ActiveStream>;
  timeouts: ForwardTimeouts;
  /** Tee bodies for capture (null: forward only). */
  capture: { host: string; path: string; capBytes: number } | null;
  onDone(result: { status: number | null; failure: string | null; exchange: RawExchange | null }): void;
}

/** Request headers never forwarded in addition to hop-by-hop ones. */
const DROP_REQUEST = new Set(["host", "expect"]);

class UpstreamTimeout extends Error {
  readonly code: string;
  constructor(code: "ECONNECT_TIMEOUT" | "EIDLE_TIMEOUT") {
    super(code === "ECONNECT_TIMEOUT" ? "connect timed out" : "no data for too long");
    this.code = code;
  }
}

function failureCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code.slice(0, 64) : "EUPSTREAM";
}

function upstreamErrorMessage(code: string, host: string): { status: number; message: string } {
  if (code === "ECONNECT_TIMEOUT" || code === "EIDLE_TIMEOUT") {
    return { status: 504, message: `the capture proxy timed out waiting for the upstream ${host} (${code})` };
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME/.test(code)) {
    return {
      status: 502,
      message: `TLS to the upstream ${host} failed (${code}); set UPSTREAM_CA_FILE if it uses a private CA`,
    };
  }
  return { status: 502, message: `the capture proxy could not reach the upstream ${host} (${code})` };
}

export function forwardRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opts: ForwardOptions,
): void {
  const { target, capture } = opts;
  const startedAt = new Date();
  const requestBody = new BodyTee(capture ? capture.capBytes : 0);
  const responseBody = new BodyTee(capture ? capture.capBytes : 0);
  let status: number | null = null;
  let responseHeaders: Record<string, string> = {};
  let responseComplete = false;
  let failure: string | null = null;
  let done = false;

  const upReq = (target.protocol === "https:" ? https : http).request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: target.path,
    headers: endToEndHeaders(req.rawHeaders, DROP_REQUEST, ["Host", target.hostHeader]),
    agent: target.agent,
    servername: target.servername,
    setHost: false,
  });

  upReq.setTimeout(opts.timeouts.idleMs, () => upReq.destroy(new UpstreamTimeout("EIDLE_TIMEOUT")));
  upReq.once("socket", (socket) => {
    if (!socket.connecting) return;
    const t = setTimeout(
      () => upReq.destroy(new UpstreamTimeout("ECONNECT_TIMEOUT")),
      opts.timeouts.connectMs,
    );
    const clear = () => clearTimeout(t);
    socket.once("connect", clear);
    socket.once("close", clear);
  });

  const finish = () => {
    if (done) return;
    done = true;
    const exchange: RawExchange | null = capture
      ? {
          method: req.method ?? "GET",
          path: capture.path,
          host: capture.host,
          requestHeaders: headerRecord(req.headers),
          requestBody,
          status,
          responseHeaders,
          responseBody,
          responseComplete,
          startedAt,
          endedAt: new Date(),
          failure,
        }
      : null;
    opts.onDone({ status, failure, exchange });
  };

  if (capture) req.on("data", (chunk: Buffer) => requestBody.push(chunk));
  req.pipe(upReq);

  upReq.on("error", (err) => {
    failure ??= failureCode(err);
    if (status === null) {
      const { status: code, message } = upstreamErrorMessage(failure, target.hostHeader);
      sendProxyError(res, code, "api_error", message);
    } else {
      res.destroy();
    }
  });

  upReq.on("response", (upRes) => {
    status = upRes.statusCode ?? 502;
    if (capture) {
      responseHeaders = headerRecord(upRes.headers);
      upRes.on("data", (chunk: Buffer) => responseBody.push(chunk));
    }
    res.sendDate = false;
    res.writeHead(status, upRes.statusMessage, endToEndHeaders(upRes.rawHeaders));
    const stream: ActiveStream = { upstream: upRes, client: res };
    opts.streams.add(stream);
    pipeline(upRes, res, (err) => {
      opts.streams.delete(stream);
      if (err) failure ??= failureCode(err);
      responseComplete = !err && upRes.complete && res.writableFinished;
    });
  });

  // The client went away (or the response finished): stop the upstream if it is still going.
  res.once("close", () => {
    if (!res.writableFinished) {
      failure ??= "ECLIENT_ABORTED";
      upReq.destroy();
    }
    // pipeline's callback runs before or at this point; let it settle first.
    setImmediate(finish);
  });
}

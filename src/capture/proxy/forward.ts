import type * as http from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { BodyTee } from "./body-tee.js";
import { sendProxyError } from "./error-response.js";
import { endToEndHeaders, headerRecord } from "./hop-by-hop.js";

/**
 * Forwards one HTTP request with undici's dispatcher API and streams the
 * response back chunk by chunk: when the client's socket buffer is full the
 * upstream read is paused (and resumed on `drain`), an abort on either side
 * tears down the other. When asked, it keeps a bounded reference copy of both
 * bodies for capture; the copy never delays or blocks forwarding. Calls
 * `onDone` once, after the client's response has closed.
 */

export interface ForwardTarget {
  /** `https://host:port` (the dispatcher's origin). */
  origin: string;
  /** Origin-form path to request upstream. */
  path: string;
  hostHeader: string;
  dispatcher: Dispatcher;
}

export interface ForwardTimeouts {
  /** TCP (and TLS) connect to the upstream. */
  connectMs: number;
  /** Waiting for the response headers, and between body chunks. */
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
  /** The upstream read is paused because the client is not reading. */
  paused(): boolean;
  /** Bytes waiting in the client's write buffer. */
  buffered(): number;
}

export interface ForwardOptions {
  target: ForwardTarget;
  /** The forwarder adds its stream here while the response flows. */
  streams: Set<ActiveStream>;
  /** Tee bodies for capture (null: forward only). */
  capture: { host: string; path: string; capBytes: number } | null;
  /**
   * With `capture`: called once, synchronously, with the exchange as it
   * stands, before the client can see the end of the reply (before its last
   * byte when the length is known, before the final chunk otherwise), or when
   * the exchange fails. The capture pipeline makes it durable here, before it
   * returns (the spool: one synchronous write), so nothing is held back.
   */
  onCaptured?: ((exchange: RawExchange) => void) | undefined;
  onDone(result: { status: number | null; failure: string | null; exchange: RawExchange | null }): void;
  /**
   * The request body already read and changed (proxy-side recall): `forward`
   * goes upstream with its own content-length, `captured` (the client's own
   * bytes) is what capture sees.
   */
  body?: { forward: Buffer; captured: Buffer } | undefined;
  /** Header name/value pairs added to the client's response. */
  responseHeaders?: readonly string[] | undefined;
}

/** Request headers never forwarded in addition to hop-by-hop ones (undici refuses `expect`). */
const DROP_REQUEST = new Set(["host", "expect"]);
/** With a replaced body its length is the proxy's to say. */
const DROP_REPLACED = new Set(["host", "expect", "content-length", "transfer-encoding"]);

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function failureCode(err: unknown): string {
  const e = err as (NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }) | undefined;
  const code = e?.code === "UND_ERR_SOCKET" || e?.code === undefined ? (e?.cause?.code ?? e?.code) : e.code;
  return typeof code === "string" ? code.slice(0, 64) : "EUPSTREAM";
}

/** A failure code that means the TLS connection to the upstream failed (its certificate, mostly). */
export function isTlsFailure(code: string): boolean {
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS/.test(code);
}

function upstreamErrorMessage(code: string, host: string): { status: number; message: string } {
  if (TIMEOUT_CODES.has(code)) {
    return { status: 504, message: `the capture proxy timed out waiting for the upstream ${host} (${code})` };
  }
  if (isTlsFailure(code)) {
    return {
      status: 502,
      message: `TLS to the upstream ${host} failed (${code}); set UPSTREAM_CA_FILE if it uses a private CA`,
    };
  }
  return { status: 502, message: `the capture proxy could not reach the upstream ${host} (${code})` };
}

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (len !== undefined && len !== "0");
}

/** Up to this many bytes, a request body with a content-length is read whole before it goes upstream. */
const BUFFERED_BODY_BYTES = 1024 * 1024;

/** The request's content-length when its body is read whole first (null: streamed). */
function bufferedLength(req: http.IncomingMessage): number | null {
  if (req.headers["transfer-encoding"] !== undefined) return null;
  const n = Number(req.headers["content-length"]);
  return Number.isSafeInteger(n) && n > 0 && n <= BUFFERED_BODY_BYTES ? n : null;
}

/** The request body as undici pulls it: each chunk teed for capture, backpressure left to undici. */
async function* teed(req: http.IncomingMessage, tee: BodyTee | null): AsyncGenerator<Buffer> {
  for await (const chunk of req) {
    tee?.push(chunk as Buffer);
    yield chunk as Buffer;
  }
}

function rawHeaderStrings(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((h: Buffer | string) => (typeof h === "string" ? h : h.toString("latin1")));
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
  let upstreamEnded = false;
  let failure: string | null = null;
  let controller: Dispatcher.DispatchController | null = null;
  let done = false;
  let captured: RawExchange | null = null;
  let expectedBytes: number | null = null;

  const snapshot = (complete: boolean): RawExchange => ({
    method: req.method ?? "GET",
    path: capture?.path ?? target.path,
    host: capture?.host ?? target.hostHeader,
    requestHeaders: headerRecord(req.headers),
    requestBody,
    status,
    responseHeaders,
    responseBody,
    responseComplete: complete,
    startedAt,
    endedAt: new Date(),
    failure,
  });
  /** Hands the exchange to capture once, before the client can see the reply end. */
  const handOff = (complete: boolean): void => {
    if (!capture || captured) return;
    captured = snapshot(complete);
    try {
      opts.onCaptured?.(captured);
    } catch {
      // Capture never breaks forwarding; the pipeline counts its own failures.
    }
  };

  const stream: ActiveStream = {
    paused: () => controller?.paused === true,
    buffered: () => res.writableLength,
  };

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (res.destroyed) c.abort(new Error("client went away"));
    },
    onResponseStart(c, statusCode, headers, statusMessage) {
      if (statusCode < 200) return; // 1xx: nothing to forward
      status = statusCode;
      if (capture) {
        responseHeaders = headerRecord(headers as Record<string, string | string[] | undefined>);
        const length = Number(responseHeaders["content-length"]);
        expectedBytes = Number.isSafeInteger(length) && length >= 0 ? length : null;
      }
      res.sendDate = false;
      const forwarded = endToEndHeaders(rawHeaderStrings(c.rawHeaders));
      if (opts.responseHeaders) forwarded.push(...opts.responseHeaders);
      res.writeHead(statusCode, statusMessage ?? "", forwarded);
      opts.streams.add(stream);
    },
    onResponseData(c, chunk) {
      if (capture) {
        responseBody.push(chunk);
        // The last byte of a response of known length ends it for the client: hand off first.
        if (expectedBytes !== null && responseBody.total >= expectedBytes) handOff(true);
      }
      if (!res.write(chunk) && !c.paused) {
        // The client is not keeping up: stop reading from the upstream until it drains.
        c.pause();
        res.once("drain", () => c.resume());
      }
    },
    onResponseEnd() {
      upstreamEnded = true;
      handOff(failure === null);
      res.end();
    },
    onResponseError(_c, err) {
      failure ??= failureCode(err);
      if (status === null && !res.headersSent) {
        const { status: code, message } = upstreamErrorMessage(failure, target.hostHeader);
        sendProxyError(res, code, "api_error", message);
      } else {
        // The upstream cut the response: cut the client's too, so it sees a failure, not a short success.
        res.destroy();
      }
    },
  };

  const replaced = opts.body;
  if (replaced && capture) requestBody.push(replaced.captured);
  const dispatch = (body: Buffer | Readable | null): void => {
    try {
      target.dispatcher.dispatch(
        {
          origin: target.origin,
          method: (req.method ?? "GET") as Dispatcher.HttpMethod,
          path: target.path,
          headers: replaced
            ? endToEndHeaders(req.rawHeaders, DROP_REPLACED, [
                "host",
                target.hostHeader,
                "content-length",
                String(replaced.forward.length),
              ])
            : endToEndHeaders(req.rawHeaders, DROP_REQUEST, ["host", target.hostHeader]),
          body,
        },
        handler,
      );
    } catch (err) {
      // undici refuses the request itself (a header it does not allow, say): answer, never crash.
      failure = failureCode(err);
      sendProxyError(res, 400, "invalid_request_error", "the capture proxy cannot forward this request");
    }
  };
  const length = bufferedLength(req);
  if (replaced) dispatch(replaced.forward);
  else if (!hasBody(req)) dispatch(null);
  else if (length !== null) {
    // A body of known, modest length (a Messages API request): read whole, then sent with the
    // headers in one write upstream instead of a write per chunk through an async iterator.
    const chunks: Buffer[] = [];
    let got = 0;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (capture) requestBody.push(chunk);
    });
    req.once("end", () => {
      if (!res.destroyed) dispatch(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, got));
    });
  } else {
    // undici takes async iterables as bodies (its types list only streams).
    dispatch(teed(req, capture ? requestBody : null) as unknown as Readable);
  }

  res.once("close", () => {
    opts.streams.delete(stream);
    if (!res.writableFinished) {
      failure ??= "ECLIENT_ABORTED";
      controller?.abort(new Error("client went away"));
    }
    if (done) return;
    done = true;
    // A failed or aborted exchange was not handed off yet: hand it off now, incomplete.
    handOff(res.writableFinished && upstreamEnded && failure === null);
    opts.onDone({ status, failure, exchange: captured });
  });
}

import type { ServerResponse } from "node:http";

/**
 * Errors the proxy itself answers with, shaped like the Anthropic API's own
 * (`{"type":"error","error":{"type":...,"message":...}}`) so that SDKs show
 * them properly. Messages never contain request content.
 */

export type ProxyErrorType =
  | "api_error"
  | "authentication_error"
  | "invalid_request_error"
  | "not_found_error";

export function anthropicErrorBody(type: ProxyErrorType, message: string): string {
  return JSON.stringify({ type: "error", error: { type, message } });
}

/** Sends an error if nothing was sent yet; otherwise cuts the response so the client sees it fail. */
export function sendProxyError(
  res: ServerResponse,
  status: number,
  type: ProxyErrorType,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = anthropicErrorBody(type, message);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-mcp-mitm-mem0": "proxy-error",
    ...extraHeaders,
  });
  res.end(body);
}

/** A minimal raw HTTP/1.1 error for sockets that are not (or no longer) served by `http.Server`. */
export function rawHttpError(status: number, reason: string, message: string, extra = ""): string {
  const body = anthropicErrorBody("api_error", message);
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `connection: close\r\n${extra}\r\n${body}`
  );
}

/**
 * The raw answer to a request Node's HTTP parser refused before any handler
 * ran: 431 when the headers are too large (the HTTP status for exactly that),
 * 400 for anything else malformed.
 */
export function clientErrorResponse(code: string | undefined): string {
  const [status, reason] =
    code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;
}

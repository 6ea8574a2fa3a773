/**
 * The shapes that flow through capture: what the proxy hands over (a
 * `CapturedExchange`), and what a response reassembles into (a
 * `ReassembledMessage`, the Messages API message shape). Types only: no
 * logic, no I/O.
 */

/** One request/response pair as the proxy saw it. */
export interface CapturedExchange {
  method: string;
  /** Origin-form path including the query, e.g. `/v1/messages?beta=true`. */
  path: string;
  /** e.g. `api.anthropic.com`. */
  host: string;
  /** Lower-cased names. The proxy passes all of them; capture never stores them. */
  requestHeaders: Record<string, string>;
  /** Already decoded (no content-encoding). */
  requestBody: Buffer;
  /** null when no response arrived. */
  status: number | null;
  responseHeaders: Record<string, string>;
  /** Decoded (gzip/br/deflate undone by the proxy), possibly truncated. */
  responseBody: Buffer;
  /** false when the stream was cut, the client aborted or the upstream failed. */
  responseComplete: boolean;
  /** true when the proxy stopped teeing at its size cap. */
  truncated: boolean;
  /** ISO-8601. */
  startedAt: string;
  /** ISO-8601. */
  endedAt: string;
}

/**
 * A content block of a Messages API response. Known types are `text`,
 * `thinking`, `redacted_thinking`, `tool_use`, `server_tool_use`,
 * `mcp_tool_use` and the `*_tool_result` blocks; unknown types are kept
 * as they arrived.
 */
export interface ContentBlock {
  type: string;
  [field: string]: unknown;
}

export interface ResponseError {
  type: string;
  message: string;
}

/** A Messages API message rebuilt from an SSE stream or a JSON body. */
export interface ReassembledMessage {
  id: string | null;
  model: string | null;
  role: "assistant";
  content: ContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  /** As the API reports it (cumulative); nested objects kept. null when none arrived. */
  usage: Record<string, unknown> | null;
  /** true only when the message finished (`message_stop` seen, or a whole JSON message) and no error came. */
  complete: boolean;
  error?: ResponseError | undefined;
}

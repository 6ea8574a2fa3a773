/**
 * The reply of a captured exchange, reassembled (JSON or SSE), with the
 * proxy's view of the transfer taken into account, and its usage counters.
 * Pure; never throws on any input.
 */
import type { CapturedExchange, ReassembledMessage } from "./exchange.js";
import { emptyMessage } from "./message-accumulator.js";
import { headerValue } from "./session-fields.js";
import { createSseReassembler, parseJsonResponse } from "./sse-reassembler.js";

function looksLikeSse(ex: CapturedExchange): boolean {
  const type = headerValue(ex.responseHeaders, "content-type")?.toLowerCase() ?? "";
  if (type.includes("text/event-stream")) return true;
  if (type.includes("json")) return false;
  const head = ex.responseBody.subarray(0, 64).toString("utf8").trimStart();
  return head.startsWith("event:") || head.startsWith("data:") || head.startsWith(":");
}

/** The reply and whether it arrived whole, taking the proxy's view of the transfer into account. */
export function reassembleResponse(ex: CapturedExchange): ReassembledMessage {
  if (ex.status === null) {
    return {
      ...emptyMessage(),
      error: { type: "no_response", message: "no response arrived from the upstream" },
    };
  }
  let msg: ReassembledMessage;
  if (looksLikeSse(ex)) {
    const r = createSseReassembler();
    r.push(ex.responseBody);
    msg = r.end();
    // message_stop seen means the reply is whole even if the connection closed badly after it.
  } else {
    msg = parseJsonResponse(ex.responseBody);
    if (!ex.responseComplete) msg = { ...msg, complete: false };
  }
  if ((ex.status < 200 || ex.status >= 300) && !msg.error) {
    msg = { ...msg, complete: false, error: { type: "http_error", message: `HTTP ${ex.status}` } };
  }
  if (ex.truncated) {
    msg = {
      ...msg,
      complete: false,
      error: msg.error ?? {
        type: "capture_truncated",
        message: "the response exceeded the capture size cap",
      },
    };
  }
  if (!msg.complete && !msg.error) {
    msg = {
      ...msg,
      error: { type: "interrupted", message: "the response ended before the message finished" },
    };
  }
  return msg;
}

/** Numeric usage counters; nested objects flattened as `parent.child`. */
export function numericUsage(usage: Record<string, unknown> | null): Record<string, number> | null {
  if (!usage) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(usage)) {
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (typeof v2 === "number" && Number.isFinite(v2)) out[`${k}.${k2}`] = v2;
      }
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}

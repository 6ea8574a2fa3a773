/**
 * Rebuilds a Messages API response from its bytes: an SSE stream fed in
 * arbitrary chunks (`createSseReassembler`), or a whole JSON body
 * (`parseJsonResponse`). Never throws on bad input: a cut stream, an
 * `error` event or unparseable data yields `complete: false`.
 *
 * Framing (line endings `\n`, `\r\n`, `\r`, lines split across chunks) is
 * done by `eventsource-parser`; UTF-8 characters split across chunks are
 * held back by a streaming `TextDecoder`. An event not terminated by a blank
 * line when the stream ends is discarded, as the SSE specification says.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { ReassembledMessage } from "./exchange.js";
import { createMessageAccumulator, isObject, toResponseError } from "./message-accumulator.js";

export interface SseReassembler {
  push(chunk: Buffer | string): void;
  /** Finishes the stream and returns the message. Later pushes are ignored. */
  end(): ReassembledMessage;
}

/** Event names whose data must be JSON; anything else unparseable is tolerated. */
const KNOWN_EVENTS = new Set([
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "error",
]);

export function createSseReassembler(): SseReassembler {
  const acc = createMessageAccumulator();
  const decoder = new TextDecoder("utf-8");
  let ended = false;
  let endsWithCr = false;
  let result: ReassembledMessage | undefined;

  const onEvent = (ev: EventSourceMessage) => {
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      if (ev.event === undefined || KNOWN_EVENTS.has(ev.event)) {
        acc.fail({
          type: "invalid_sse_event",
          message: `an SSE event${ev.event ? ` (${ev.event})` : ""} carried data that is not JSON`,
        });
      }
      return;
    }
    if (ev.event === "error" && !(isObject(data) && data.type === "error")) {
      acc.fail(toResponseError(data, "api_error"));
      return;
    }
    acc.apply(data, ev.event);
  };
  const parser = createParser({ onEvent });

  return {
    push(chunk) {
      if (ended) return;
      const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      if (text.length === 0) return;
      endsWithCr = text.endsWith("\r");
      parser.feed(text);
    },
    end() {
      if (result) return result;
      ended = true;
      const rest = decoder.decode();
      if (rest.length > 0) {
        endsWithCr = rest.endsWith("\r");
        parser.feed(rest);
      }
      // The parser holds back a final lone "\r" in case "\n" follows; at the end it is a line ending.
      if (endsWithCr) parser.feed("\n");
      result = acc.snapshot();
      return result;
    },
  };
}

/** A non-streaming response body: a message, or an error object (→ incomplete with error). */
export function parseJsonResponse(body: Buffer): ReassembledMessage {
  const acc = createMessageAccumulator();
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    acc.fail({ type: "invalid_response", message: "the response body is not valid JSON" });
    return acc.snapshot();
  }
  if (!isObject(data)) {
    acc.fail({ type: "invalid_response", message: "the response body is not a JSON object" });
    return acc.snapshot();
  }
  if (data.type === "error" || (data.type === undefined && isObject(data.error))) {
    acc.fail(toResponseError(data, "api_error"));
    return acc.snapshot();
  }
  if (!Array.isArray(data.content)) {
    acc.fail({ type: "invalid_response", message: "the response body is not a Messages API message" });
    return acc.snapshot();
  }
  acc.apply({ type: "message_start", message: data });
  acc.apply({ type: "message_stop" });
  return acc.snapshot();
}

/**
 * Test helper: encodes a Messages API message as the exact SSE event
 * sequence the API emits (message_start, ping, content_block_start /
 * deltas / stop per block, message_delta, message_stop).
 */

export interface EncodableMessage {
  id: string;
  model: string;
  content: Record<string, unknown>[];
  stop_reason: string;
  usage?: { input_tokens: number; output_tokens: number; [k: string]: unknown };
}

export interface EncodeOptions {
  /** Characters per text/thinking/json delta. */
  pieceSize?: number;
  lineEnding?: "\n" | "\r\n" | "\r";
  /** Stop emitting after this many events (a cut stream). */
  cutAfterEvents?: number;
  /** Extra raw events inserted after message_start, e.g. unknown event types. */
  extraEvents?: { event: string; data: string }[];
  /** An `error` event instead of the closing message_delta/message_stop. */
  errorInsteadOfStop?: { type: string; message: string };
  withPing?: boolean;
}

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  // Split on code points so a delta never carries half a surrogate pair.
  const cps = Array.from(s);
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(""));
  return out.length > 0 ? out : [""];
}

export function sseEvents(
  msg: EncodableMessage,
  opts: EncodeOptions = {},
): { event: string; data: string }[] {
  const size = opts.pieceSize ?? 7;
  const usage = msg.usage ?? { input_tokens: 25, output_tokens: 40 };
  const events: { event: string; data: unknown }[] = [];
  events.push({
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: msg.id,
        type: "message",
        role: "assistant",
        model: msg.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: 1, cache_read_input_tokens: 0 },
      },
    },
  });
  const raw: { event: string; data: string }[] = [];
  if (opts.withPing !== false) events.push({ event: "ping", data: { type: "ping" } });
  msg.content.forEach((block, index) => {
    const type = String(block.type);
    const start = (content_block: unknown) =>
      events.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block },
      });
    const delta = (d: unknown) =>
      events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: d } });
    if (type === "text") {
      start({ type: "text", text: "" });
      for (const p of pieces(String(block.text), size)) delta({ type: "text_delta", text: p });
      for (const c of (block.citations as unknown[] | undefined) ?? [])
        delta({ type: "citations_delta", citation: c });
    } else if (type === "thinking") {
      start({ type: "thinking", thinking: "" });
      for (const p of pieces(String(block.thinking), size)) delta({ type: "thinking_delta", thinking: p });
      delta({ type: "signature_delta", signature: block.signature });
    } else if (type === "tool_use" || type === "server_tool_use") {
      start({ type, id: block.id, name: block.name, input: {} });
      for (const p of pieces(JSON.stringify(block.input), size))
        delta({ type: "input_json_delta", partial_json: p });
    } else {
      // redacted_thinking, *_tool_result and anything else arrive whole in content_block_start.
      start(block);
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  if (opts.errorInsteadOfStop) {
    events.push({ event: "error", data: { type: "error", error: opts.errorInsteadOfStop } });
  } else {
    events.push({
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: msg.stop_reason, stop_sequence: null },
        usage: { ...usage },
      },
    });
    events.push({ event: "message_stop", data: { type: "message_stop" } });
  }
  for (const e of events) raw.push({ event: e.event, data: JSON.stringify(e.data) });
  if (opts.extraEvents) raw.splice(1, 0, ...opts.extraEvents);
  return opts.cutAfterEvents === undefined ? raw : raw.slice(0, opts.cutAfterEvents);
}

export function encodeSse(msg: EncodableMessage, opts: EncodeOptions = {}): string {
  const nl = opts.lineEnding ?? "\n";
  return sseEvents(msg, opts)
    .map((e) => `event: ${e.event}${nl}data: ${e.data}${nl}${nl}`)
    .join("");
}

/** A reply shaped like the fixtures' `stub_reply`. */
export function stubReplyMessage(reply: {
  stop_reason: string;
  content: Record<string, unknown>[];
}): EncodableMessage {
  return {
    id: "msg_stub",
    model: "claude-opus-4-8",
    content: reply.content,
    stop_reason: reply.stop_reason,
    usage: { input_tokens: 1200, output_tokens: 30, cache_creation_input_tokens: 0 },
  };
}

/** A deterministic RNG (mulberry32) for splits and fuzzing. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

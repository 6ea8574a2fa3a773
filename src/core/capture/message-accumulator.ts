/**
 * Applies Messages API stream events (`message_start`, `content_block_*`,
 * `message_delta`, `message_stop`, `ping`, `error`) to a message snapshot,
 * the way the official SDK accumulates them, but tolerant: unknown event
 * and delta types, missing `content_block_start`s and out-of-order events
 * never throw. Pure; the SSE framing lives in `sse-reassembler.ts`.
 */
import type { ContentBlock, ReassembledMessage, ResponseError } from "./exchange.js";

/** Block types whose `input` arrives as `input_json_delta` fragments. */
const TOOL_INPUT_BLOCKS = new Set(["tool_use", "server_tool_use", "mcp_tool_use"]);

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

export function toResponseError(v: unknown, fallbackType: string): ResponseError {
  if (isObject(v)) {
    const inner = isObject(v.error) ? v.error : v;
    const type = str(inner.type) ?? fallbackType;
    const message = str(inner.message) ?? "";
    return { type: type === "error" ? fallbackType : type, message };
  }
  return { type: fallbackType, message: typeof v === "string" ? v : "" };
}

export interface MessageAccumulator {
  /** Applies one event (the parsed `data` of an SSE event). `name` is the SSE `event:` field. */
  apply(event: unknown, name?: string): void;
  /** Records a framing or parse problem: the message cannot count as complete. */
  fail(error: ResponseError): void;
  /** The message so far. Safe to call more than once. */
  snapshot(): ReassembledMessage;
}

/** A reply with nothing in it yet (a fresh object each call). */
export function emptyMessage(): ReassembledMessage {
  return {
    id: null,
    model: null,
    role: "assistant",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: null,
    complete: false,
  };
}

export function createMessageAccumulator(): MessageAccumulator {
  const msg = emptyMessage();
  /** input_json_delta fragments per block index, joined at content_block_stop. */
  const jsonBuffers = new Map<number, string[]>();
  let stopped = false;
  let error: ResponseError | undefined;

  const blockAt = (index: number, deltaType: string): ContentBlock => {
    const existing = msg.content[index];
    if (existing) return existing;
    // A delta without its content_block_start: make the block its delta implies.
    const created: ContentBlock =
      deltaType === "thinking_delta" || deltaType === "signature_delta"
        ? { type: "thinking", thinking: "" }
        : deltaType === "input_json_delta"
          ? { type: "tool_use", name: "unknown", input: {} }
          : { type: "text", text: "" };
    setBlock(index, created);
    return created;
  };

  const setBlock = (index: number, block: ContentBlock) => {
    while (msg.content.length < index) msg.content.push({ type: "unknown" });
    msg.content[index] = block;
  };

  const finishJson = (index: number) => {
    const parts = jsonBuffers.get(index);
    if (!parts) return;
    jsonBuffers.delete(index);
    const block = msg.content[index];
    if (!block) return;
    const raw = parts.join("");
    if (raw.trim() === "") return;
    try {
      block.input = JSON.parse(raw);
    } catch {
      // Cut mid-input: keep what arrived so the turn can still say what was called.
      block.input_partial_json = raw;
    }
  };

  const applyDelta = (index: number, delta: Json) => {
    const type = str(delta.type) ?? "";
    const block = blockAt(index, type);
    switch (type) {
      case "text_delta":
        block.text = (str(block.text) ?? "") + (str(delta.text) ?? "");
        return;
      case "thinking_delta":
        block.thinking = (str(block.thinking) ?? "") + (str(delta.thinking) ?? "");
        return;
      case "signature_delta":
        block.signature = str(delta.signature) ?? block.signature;
        return;
      case "citations_delta": {
        const prior = Array.isArray(block.citations) ? block.citations : [];
        block.citations = [...prior, delta.citation];
        return;
      }
      case "input_json_delta": {
        const parts = jsonBuffers.get(index) ?? [];
        parts.push(str(delta.partial_json) ?? "");
        jsonBuffers.set(index, parts);
        return;
      }
      default:
        // Unknown delta type: append string fields to the block's fields of the same name.
        for (const [k, v] of Object.entries(delta)) {
          if (k === "type" || typeof v !== "string") continue;
          block[k] = (str(block[k]) ?? "") + v;
        }
    }
  };

  const mergeUsage = (usage: unknown) => {
    if (!isObject(usage)) return;
    msg.usage ??= {};
    for (const [k, v] of Object.entries(usage)) if (v !== null && v !== undefined) msg.usage[k] = v;
  };

  const indexOf = (ev: Json): number => {
    const i = ev.index;
    return typeof i === "number" && Number.isInteger(i) && i >= 0 && i < 100_000 ? i : msg.content.length;
  };

  return {
    apply(event, name) {
      if (!isObject(event)) return;
      const type = str(event.type) ?? name ?? "";
      switch (type) {
        case "message_start": {
          const m = isObject(event.message) ? event.message : {};
          msg.id = str(m.id) ?? msg.id;
          msg.model = str(m.model) ?? msg.model;
          msg.stop_reason = str(m.stop_reason) ?? msg.stop_reason;
          msg.stop_sequence = str(m.stop_sequence) ?? msg.stop_sequence;
          if (Array.isArray(m.content)) {
            m.content.forEach((b, i) => {
              if (isObject(b) && typeof b.type === "string") setBlock(i, { ...b } as ContentBlock);
            });
          }
          mergeUsage(m.usage);
          return;
        }
        case "content_block_start": {
          const b = event.content_block;
          const block: ContentBlock =
            isObject(b) && typeof b.type === "string" ? ({ ...b } as ContentBlock) : { type: "unknown" };
          if (TOOL_INPUT_BLOCKS.has(block.type) && !isObject(block.input)) block.input = {};
          setBlock(indexOf(event), block);
          return;
        }
        case "content_block_delta":
          if (isObject(event.delta)) applyDelta(indexOf(event), event.delta);
          return;
        case "content_block_stop":
          finishJson(indexOf(event));
          return;
        case "message_delta": {
          const d = isObject(event.delta) ? event.delta : {};
          for (const [k, v] of Object.entries(d)) {
            if (k === "stop_reason" || k === "stop_sequence") msg[k] = str(v);
          }
          mergeUsage(event.usage);
          return;
        }
        case "message_stop":
          stopped = true;
          return;
        case "error":
          error ??= toResponseError(event, "api_error");
          return;
        default:
          // ping and unknown event types: nothing to keep.
          return;
      }
    },
    fail(e) {
      error ??= e;
    },
    snapshot() {
      for (const index of [...jsonBuffers.keys()]) finishJson(index);
      const out: ReassembledMessage = {
        ...msg,
        content: msg.content.map((b) => ({ ...b })),
        usage: msg.usage ? { ...msg.usage } : null,
        complete: stopped && error === undefined,
      };
      if (error) out.error = { ...error };
      return out;
    },
  };
}

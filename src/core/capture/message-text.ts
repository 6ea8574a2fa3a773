/**
 * Text out of Messages API content: user messages (text and tool_result
 * blocks) and assistant replies (text, tool calls summarised). Injected
 * `<system-reminder>` blocks are removed; thinking is never returned.
 */
import type { ContentBlock } from "./exchange.js";
import { isObject } from "./message-accumulator.js";
import { redact } from "./redaction.js";

/** Bound for one tool_result's text in a user turn. */
export const TOOL_RESULT_MAX_CHARS = 4000;
/** Bound for one tool call's input JSON in an assistant turn. */
export const TOOL_INPUT_MAX_CHARS = 500;

const REMINDER_OPEN = /<system-reminder>/gi;
const REMINDER_CLOSE = /<\/system-reminder>/gi;

/**
 * Removes `<system-reminder>...</system-reminder>` blocks (Claude Code's
 * harness injects them; they are not the user's words). An unclosed block
 * runs to the end of the text. Linear time.
 */
export function stripSystemReminders(text: string): string {
  REMINDER_OPEN.lastIndex = 0;
  if (!REMINDER_OPEN.test(text)) return text;
  let out = "";
  let pos = 0;
  for (;;) {
    REMINDER_OPEN.lastIndex = pos;
    const open = REMINDER_OPEN.exec(text);
    if (!open) break;
    out += text.slice(pos, open.index);
    REMINDER_CLOSE.lastIndex = open.index + open[0].length;
    const close = REMINDER_CLOSE.exec(text);
    if (!close) {
      pos = text.length;
      break;
    }
    pos = close.index + close[0].length;
  }
  return out + text.slice(pos);
}

/** Cuts `text` to `max` characters, saying how much was dropped. Never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}… [truncated ${text.length - cut} chars]`;
}

/** Redacts first, so that a cut can never leave half a secret unrecognised. */
function clean(text: string, max?: number): string {
  const stripped = redact(stripSystemReminders(text)).trim();
  return max === undefined ? stripped : truncate(stripped, max);
}

function toolResultText(block: Record<string, unknown>): string {
  const c = block.content;
  let text = "";
  if (typeof c === "string") text = c;
  else if (Array.isArray(c)) {
    text = c
      .map((part) => {
        if (!isObject(part)) return "";
        if (part.type === "text" && typeof part.text === "string") return part.text;
        if (part.type === "image") return "[image]";
        if (part.type === "document") return "[document]";
        return "";
      })
      .filter((s) => s !== "")
      .join("\n");
  }
  const cleaned = clean(text, TOOL_RESULT_MAX_CHARS);
  if (cleaned === "") return "";
  return block.is_error === true ? `[tool error] ${cleaned}` : cleaned;
}

/** The text of a user message's content (a string or blocks). */
export function userContentText(content: unknown): string {
  if (typeof content === "string") return clean(content);
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    if (block.type === "text" && typeof block.text === "string") parts.push(clean(block.text));
    else if (block.type === "tool_result") parts.push(toolResultText(block));
    else if (block.type === "image") parts.push("[image]");
    else if (block.type === "document") parts.push("[document]");
  }
  return parts.filter((p) => p !== "").join("\n\n");
}

function inputJson(block: ContentBlock): string {
  if (typeof block.input_partial_json === "string") return block.input_partial_json;
  try {
    return JSON.stringify(block.input ?? {}) ?? "{}";
  } catch {
    return "{}";
  }
}

/**
 * The text of a reply: text blocks as they are, tool calls as
 * `[tool_use NAME {input}]`, server tool results as `[TYPE]`; thinking and
 * redacted_thinking are left out.
 */
export function assistantContentText(content: ContentBlock[]): string {
  const parts: string[] = [];
  for (const block of content) {
    const { type } = block;
    if (type === "thinking" || type === "redacted_thinking") continue;
    if (type === "tool_use" || type === "server_tool_use" || type === "mcp_tool_use") {
      const name = typeof block.name === "string" ? block.name : "unknown";
      parts.push(`[${type} ${name} ${clean(inputJson(block), TOOL_INPUT_MAX_CHARS)}]`);
    } else if (type.endsWith("_tool_result")) {
      parts.push(`[${type}]`);
    } else if (typeof block.text === "string") {
      // text, and unknown block types that carry text.
      parts.push(clean(block.text));
    }
  }
  return parts.filter((p) => p !== "").join("\n\n");
}

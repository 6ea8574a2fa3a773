/**
 * Reading a Messages API request body: parsing it without throwing, and the
 * pieces that capture needs (system text, the latest user message).
 */
import { isObject } from "./message-accumulator.js";

export type RequestBody = Record<string, unknown> & { messages: unknown[] };

/** The parsed body, or null when it is not a JSON object with a `messages` array. */
export function parseRequestBody(body: Buffer): RequestBody | null {
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (!isObject(data) || !Array.isArray(data.messages)) return null;
  return data as RequestBody;
}

const BILLING_HEADER = "x-anthropic-billing-header:";

/**
 * Every system text: the `system` field (a string or text blocks) and the
 * `role: "system"` entries inside `messages`. The billing header line is
 * dropped.
 */
export function systemTexts(body: RequestBody): string[] {
  const out: string[] = [];
  const addContent = (c: unknown) => {
    if (typeof c === "string") out.push(c);
    else if (Array.isArray(c)) {
      for (const b of c) if (isObject(b) && typeof b.text === "string") out.push(b.text);
    }
  };
  addContent(body.system);
  for (const m of body.messages) if (isObject(m) && m.role === "system") addContent(m.content);
  return out.filter((t) => !t.trimStart().startsWith(BILLING_HEADER));
}

/** The last `role: "user"` entry's content, or undefined. `role: "system"` entries are skipped. */
export function latestUserContent(body: RequestBody): unknown {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (isObject(m) && m.role === "user") return m.content;
  }
  return undefined;
}

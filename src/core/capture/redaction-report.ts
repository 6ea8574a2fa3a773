/**
 * Redaction of a memory written by hand (CLI `add`/`update`, MCP
 * `add_memory`/`update_memory`, the web page, `import`): the same rules as
 * capture, plus what was replaced, so the caller can say so. `keep: true`
 * is the explicit opt-out for a secret someone wants remembered.
 */
import { redact } from "./redaction.js";

export interface RedactedText {
  text: string;
  /** Placeholder types added, one per secret (`["api_key", "password"]`); empty when nothing changed. */
  redacted: string[];
}

const PLACEHOLDER = /\[REDACTED:([a-z0-9_]+)\]/g;

function placeholderTypes(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(PLACEHOLDER)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

export function redactMemoryText(text: string, options: { keep?: boolean | undefined } = {}): RedactedText {
  if (options.keep) return { text, redacted: [] };
  const out = redact(text);
  if (out === text) return { text, redacted: [] };
  const before = placeholderTypes(text);
  const redacted: string[] = [];
  for (const [type, n] of placeholderTypes(out)) {
    for (let i = before.get(type) ?? 0; i < n; i++) redacted.push(type);
  }
  return { text: out, redacted };
}

/** "2 secrets redacted (api_key, password)", or "" when none. */
export function describeRedactions(redacted: readonly string[]): string {
  if (redacted.length === 0) return "";
  const kinds = [...new Set(redacted)].join(", ");
  return `${redacted.length} secret${redacted.length === 1 ? "" : "s"} redacted (${kinds})`;
}

/**
 * Redaction applied to every text before it is stored: secrets are replaced
 * by typed placeholders such as `[REDACTED:anthropic_key]`. The rules are
 * listed in docs/capture-rules.md; their patterns follow the published rule
 * sets of gitleaks and detect-secrets.
 *
 * Passes, in order: blocks (`<private>`, PEM and PuTTY private keys),
 * credential headers, URL credentials, vendor token shapes
 * (secret-token-rules.ts), assignments (`password=...`, entropy-gated for
 * weak key names), command flags, "my password is ...", payment cards, and
 * an AWS secret key next to its key id.
 *
 * Linear time by construction (V8 regexes backtrack, so every pattern is
 * shaped to make that harmless): block rules use plain searches for their
 * start and end markers, never a lazy `.*?`; token rules are a literal
 * prefix plus bounded character classes, run only when the text contains
 * the prefix; keys, values and gaps all have bounded lengths; values are
 * read by hand, not by regex.
 */
import { placeholder, scanEdits } from "./redaction-scan.js";
import { redactAssignments } from "./secret-assignments.js";
import {
  redactAwsSecretKeys,
  redactCardNumbers,
  redactFlags,
  redactHeaders,
  redactProse,
  redactUrlCredentials,
} from "./secret-context-rules.js";
import { TOKEN_RULES, type TokenRule } from "./secret-token-rules.js";

/** Finds `start ... end` blocks with two linear searches; an unterminated block runs to the end of the text. */
function redactBlocks(text: string, start: RegExp, end: RegExp, type: string): string {
  start.lastIndex = 0;
  if (!start.test(text)) return text;
  let out = "";
  let pos = 0;
  while (pos < text.length) {
    start.lastIndex = pos;
    const open = start.exec(text);
    if (!open) break;
    end.lastIndex = open.index + open[0].length;
    const close = end.exec(text);
    out += text.slice(pos, open.index) + placeholder(type);
    if (!close) {
      pos = text.length;
      break;
    }
    pos = close.index + close[0].length;
  }
  return out + text.slice(pos);
}

function applyTokenRule(text: string, rule: TokenRule): string {
  const { check, type, lead } = rule;
  if (!lead) {
    return text.replace(rule.pattern, (match: string) =>
      check && !check(match) ? match : placeholder(type),
    );
  }
  const [chars, length] = lead;
  return scanEdits(text, rule.pattern, (m) => {
    const start = m.index - length;
    if (start < 0) return null;
    if (start > 0 && (chars.test(text[start - 1]!) || /[A-Za-z0-9_-]/.test(text[start - 1]!))) return null;
    for (let i = start; i < m.index; i++) if (!chars.test(text[i]!)) return null;
    const end = m.index + m[0].length;
    if (check && !check(text.slice(start, end))) return null;
    return { start, end, replacement: placeholder(type) };
  });
}

function redactTokens(text: string): string {
  let out = text;
  for (const rule of TOKEN_RULES) {
    out = applyTokenRule(out, rule);
  }
  return out;
}

/** Replaces secrets in `text` with typed placeholders. Idempotent; linear in the text length. */
export function redact(text: string): string {
  let out = redactBlocks(text, /<private>/gi, /<\/private>/gi, "private");
  out = redactBlocks(
    out,
    /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g,
    /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g,
    "private_key",
  );
  out = redactBlocks(out, /Private-Lines: ?\d{1,4}/g, /Private-MAC: ?[0-9a-f]{0,128}/g, "private_key");
  out = redactHeaders(out);
  out = redactUrlCredentials(out);
  out = redactTokens(out);
  out = redactAssignments(out);
  out = redactFlags(out);
  out = redactProse(out);
  out = redactCardNumbers(out);
  out = redactAwsSecretKeys(out);
  return out;
}

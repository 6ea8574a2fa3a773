/**
 * Error signatures: the part of an error message that stays the same when the
 * same error happens again (exception name or code plus the message with
 * paths, numbers, ids and long quoted values replaced by placeholders), so
 * that "EADDRINUSE on port 3000" on Monday and on port 5173 a week later count
 * as one recurring problem.
 */

export interface ErrorSignature {
  /** Lower-case normalised form: the deduplication key. */
  key: string;
  /** Normalised form as written (placeholders in angle brackets). */
  signature: string;
  /** The error's name or code (TypeError, EADDRINUSE, TS2322, E0308, HTTP 429). */
  name: string;
  /** The original line, clipped, for a person to recognise it. */
  example: string;
}

const MAX_SIGNATURE = 140;

/** Lines that are source code (or numbered file listings), not error output. */
function looksLikeCode(line: string): boolean {
  return (
    /^\s*\d+\s*(?:→|\t|│|\|)/.test(line) ||
    /\b(?:new|throw|class|extends|import|export|function|const|let|var|return|raise|def|catch|except|instanceof)\b/.test(
      line,
    ) ||
    /=>|[;{}]\s*$|\bError\s*\(|\bException\s*\(/.test(line)
  );
}

/** Replaces the parts of a message that vary between occurrences. */
export function normaliseMessage(message: string, opts: { dropQuoted?: boolean } = {}): string {
  let m = message;
  m = m.replace(/\bhttps?:\/\/\S+/g, "<url>");
  m = m.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>");
  m = m.replace(/(['"`])([^'"`\n]*)\1/g, (_all, q: string, inner: string) => {
    if (opts.dropQuoted || /[\s/\\]/.test(inner) || inner.length > 40) return `${q}<x>${q}`;
    return `${q}${inner}${q}`;
  });
  // Paths: at least one slash between path-ish characters, optional :line:col.
  m = m.replace(/(?:[A-Za-z]:)?(?:~|\.{1,2})?(?:[/\\][\w.@+-]+)+[/\\]?(?::\d+){0,2}/g, "<path>");
  m = m.replace(
    /\b[\w.-]+\.(?:ts|tsx|js|mjs|cjs|jsx|py|rs|go|java|rb|json|yml|yaml|toml|sql|css|html|md)(?::\d+){0,2}\b/g,
    "<path>",
  );
  m = m.replace(/\b0x[0-9a-f]+\b/gi, "<hex>");
  m = m.replace(/\b[0-9a-f]{12,}\b/gi, "<hex>");
  m = m.replace(/(?<![A-Za-z])\d+(?:\.\d+)*(?:ms|s|mb|kb|gb|b)?\b/gi, "<n>");
  m = m.replace(/\s+/g, " ").trim();
  m = m.replace(/[\s.,;:]+$/, "");
  if (m.length > MAX_SIGNATURE) m = `${m.slice(0, MAX_SIGNATURE).replace(/\s+\S*$/, "")}…`;
  return m;
}

function make(name: string, message: string, line: string, dropQuoted = false): ErrorSignature {
  const norm = normaliseMessage(message, { dropQuoted });
  const signature = norm ? `${name}: ${norm}` : name;
  const example = line.trim().replace(/\s+/g, " ");
  return {
    key: signature.toLowerCase(),
    signature,
    name,
    example: example.length > 200 ? `${example.slice(0, 199)}…` : example,
  };
}

const HTTP_STATUS =
  /\b(?:HTTP\/?\d?(?:\.\d)?\s+|status(?: code)?:?\s*)?(4\d\d|5\d\d)\s+(Bad Request|Unauthorized|Forbidden|Not Found|Conflict|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Unprocessable Entity)\b/i;

/** Known phrases that are errors without a name. */
const PHRASES: { re: RegExp; name: string }[] = [
  { re: /JavaScript heap out of memory/i, name: "OutOfMemory" },
  { re: /Segmentation fault/i, name: "SIGSEGV" },
  { re: /\bdatabase is locked\b/i, name: "SQLITE_BUSY" },
  { re: /\bcommand not found\b/i, name: "CommandNotFound" },
  { re: /\bPermission denied\b/i, name: "EACCES" },
];

/** Capitalised words that look like an errno-style code but are not one ("FATAL ERROR:", "EXPECTED"). */
const NOT_A_CODE =
  /^E(?:RR|RROR|RRORS|XPECTED|XAMPLE|SLINT|MAIL|VENT|VENTS|DIT|NTER|NUM|XPORTS?|XEC|XIT|XACT|LSE|ACH|VERY|VEN|ASY|MPTY|NTRY|NGINE|NABLED?)$/;

type LineMatcher = (line: string, prose: boolean) => ErrorSignature | null | "skip";

/** Where an error message written into prose ends: the sentence goes on about something else. */
const PROSE_END =
  /\s+[-–—]\s.*$|[;(].*$|[,.](?:\s.*)?$|\s+(?:when|while|because|since|after|during|again|but|so|and|then|every time|each time|on every|in the|in our|from the)\b.*$/i;

/** A value copied from output: has a digit or a symbol, or is a quoted or ALL-CAPS word. */
const TECHNICAL = /[\d:/\\@<>_=]|^['"`].*['"`]$|^[A-Z][A-Z0-9_]+$/;

/**
 * The message of an error code in prose: after "CODE:" the message as printed
 * (up to where the sentence moves on), after "CODE " only the copied values
 * that follow it ("ECONNREFUSED 127.0.0.1:5432 in CI" → "127.0.0.1:5432").
 */
function proseMessage(afterCode: string): string {
  if (/^\s*:/.test(afterCode)) return afterCode.replace(/^[:\s]+/, "").replace(PROSE_END, "");
  const words = afterCode.trim().split(/\s+/);
  const run: string[] = [];
  for (const w of words) {
    const bare = w.replace(/[.,;:!?)]+$/, "");
    if (bare === "" || !TECHNICAL.test(bare)) break;
    run.push(bare);
    if (bare !== w) break;
  }
  return run.join(" ");
}

/** Tried in order on each line; the first that answers wins. */
const MATCHERS: LineMatcher[] = [
  (line) => {
    const m = line.match(/\berror\s+(TS\d{3,5})\s*:\s*(.+)$/i);
    return m ? make(m[1]!.toUpperCase(), m[2]!, line, true) : null;
  },
  (line) => {
    const m = line.match(/\berror\[(E\d{4})\]\s*:\s*(.+)$/);
    return m ? make(m[1]!, m[2]!, line, true) : null;
  },
  (line, prose) => {
    const m = line.match(/\b(E[A-Z]{3,}(?:_[A-Z]+)*)\b(:?\s*.*)$/);
    if (!m || NOT_A_CODE.test(m[1]!)) return null;
    // "npm ERR! code ERESOLVE" carries no message on the same line.
    if (/^npm (?:ERR|error)!?\s+code\b/i.test(line)) return make(m[1]!, "", line);
    return make(m[1]!, prose ? proseMessage(m[2]!) : m[2]!.replace(/^[:\s]+/, ""), line);
  },
  (line, prose) => {
    const m = line.match(/\b((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception))\b(?::\s*(.+))?$/);
    if (!m) return null;
    const name = m[1]!.split(".").pop()!;
    const msg = prose ? (m[2] ?? "").replace(PROSE_END, "") : (m[2] ?? "");
    return name === "Error" && !m[2] ? "skip" : make(name, msg, line);
  },
  (line) => {
    const m = line.match(HTTP_STATUS);
    return m ? make(`HTTP ${m[1]}`, m[2]!, line) : null;
  },
  (line) => {
    const phrase = PHRASES.find((p) => p.re.test(line));
    if (!phrase) return null;
    return make(phrase.name, line.slice(line.search(phrase.re)).replace(/^.*?:\s*/, ""), line);
  },
  (line) => {
    // "error: …", "fatal: …", or a program's "psql: error: …".
    const m = line.match(/^\s*(?:[\w.-]+:\s+)?(?:fatal|error)(?:\[[^\]]*\])?:\s+(.{8,})$/i);
    return m ? make("Error", m[1]!, line) : null;
  },
];

/**
 * Finds error signatures in one text (command output or a pasted log). Each
 * distinct signature is returned once, in order of appearance. With `prose`
 * (a note someone wrote, one sentence a line), a message ends where the
 * sentence moves on, so "ECONNREFUSED 127.0.0.1:5432 again in CI" and the
 * printed "connect ECONNREFUSED 127.0.0.1:5432" are the same error.
 */
export function findErrorSignatures(text: string, opts: { prose?: boolean } = {}): ErrorSignature[] {
  const prose = opts.prose === true;
  const found = new Map<string, ErrorSignature>();
  for (const raw of text.split("\n")) {
    const line = raw.length > 600 ? raw.slice(0, 600) : raw;
    if (!line.trim() || looksLikeCode(line)) continue;
    for (const match of MATCHERS) {
      const sig = match(line, prose);
      if (sig === null) continue;
      if (sig !== "skip" && !found.has(sig.key)) found.set(sig.key, sig);
      break;
    }
  }
  return [...found.values()];
}

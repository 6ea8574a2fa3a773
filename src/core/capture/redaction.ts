/**
 * Redaction applied to every text before it is stored: secrets are replaced
 * by typed placeholders such as `[REDACTED:anthropic_key]`. The rules are
 * listed in docs/capture-rules.md.
 *
 * Linear time by construction (V8 regexes backtrack, so every pattern is
 * shaped to make that harmless):
 * - block rules (`<private>`, PEM private keys) are found with plain
 *   searches for their start and end markers, never with a lazy `.*?`;
 * - token rules are `prefix + one character class`, anchored by a
 *   look-behind so a match can only start where a token starts, and with
 *   nothing after the class that could fail and force a rescan;
 * - assignment rules bound the key (80) and the value (512) lengths.
 */

const PLACEHOLDER_PREFIX = "[REDACTED:";
const placeholder = (type: string) => `${PLACEHOLDER_PREFIX}${type}]`;

/** Finds `start ... end` blocks with two linear searches; an unterminated block runs to the end of the text. */
function redactBlocks(text: string, start: RegExp, end: RegExp, type: string): string {
  start.lastIndex = 0;
  if (!start.test(text)) return text;
  start.lastIndex = 0;
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

interface TokenRule {
  type: string;
  pattern: RegExp;
  /** Optional: decide per match (return null to keep the text). */
  replace?: (match: string, ...groups: string[]) => string | null;
}

/** A token starts where the previous character is not part of a token. */
const B = "(?<![A-Za-z0-9_\\-])";

const TOKEN_RULES: TokenRule[] = [
  { type: "anthropic_key", pattern: new RegExp(`${B}sk-ant-[A-Za-z0-9_\\-]{20,}`, "g") },
  {
    type: "openai_key",
    pattern: new RegExp(`${B}sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\\-]{20,}`, "g"),
    // Keys always mix digits in; a slug like "sk-some-long-words-here" is not a key.
    replace: (m) => (/[0-9]/.test(m) ? placeholder("openai_key") : null),
  },
  {
    type: "aws_access_key_id",
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  { type: "github_token", pattern: new RegExp(`${B}(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}`, "g") },
  { type: "github_token", pattern: new RegExp(`${B}github_pat_[A-Za-z0-9_]{40,}`, "g") },
  { type: "slack_token", pattern: new RegExp(`${B}(?:xox[abprs]|xapp)-[A-Za-z0-9\\-]{10,}`, "g") },
  { type: "google_api_key", pattern: new RegExp(`${B}AIza[0-9A-Za-z_\\-]{35}`, "g") },
  {
    type: "jwt",
    pattern: new RegExp(`${B}eyJ[A-Za-z0-9_\\-]{5,}\\.eyJ[A-Za-z0-9_\\-]{5,}\\.[A-Za-z0-9_\\-]*`, "g"),
  },
  {
    type: "bearer_token",
    pattern: /(?<![A-Za-z0-9])([Bb]earer)[ \t]{1,10}([A-Za-z0-9._~+/=-]{8,})/g,
    // Tokens have digits or are long; "Bearer authentication" is prose.
    replace: (_m, word, token) =>
      token && word && (/[0-9]/.test(token) || token.length >= 20)
        ? `${word} ${placeholder("bearer_token")}`
        : null,
  },
  {
    type: "basic_auth",
    pattern:
      /(?<![A-Za-z0-9])([Aa]uthorization["']?[ \t]{0,5}[:=][ \t]{0,5}["']?[Bb]asic[ \t]{1,10})[A-Za-z0-9+/]{4,}={0,2}/g,
    replace: (_m, head) => `${head}${placeholder("basic_auth")}`,
  },
  {
    type: "url_credentials",
    pattern: /(?<=:\/\/)[^\s/:@"'<>]{1,256}:[^\s/@"'<>]{1,256}@/g,
    replace: () => `${placeholder("url_credentials")}@`,
  },
];

/**
 * `KEY = value`, `KEY: "value"`, `"key": "value"`, `--key=value`: the key
 * name is kept, the value replaced when the key names a secret.
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,80})(\\?["']?[ \t]{0,5}[:=][ \t]{0,5})(?:(\\?")([^"\\\r\n]{1,512})|(')([^'\r\n]{1,512})|([^\s"'\\<>,;&]{1,512}))/g;

/** Matched against the key after camelCase → snake_case and lower-casing. */
const SECRET_KEY =
  /(?:^|[_.-])(?:password|passwd|passphrase|pwd|secret|token|apikey|api[_-]key|access[_-]key|secret[_-]key|private[_-]key|client[_-]secret|auth[_-]token|credentials?)$/;

function secretKeyType(key: string): string | null {
  const k = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  if (!SECRET_KEY.test(k)) return null;
  if (/pass|pwd/.test(k)) return "password";
  if (/aws/.test(k) || /secret[_-]access[_-]key$/.test(k)) return "aws_secret_key";
  if (/token$/.test(k)) return "token";
  if (/key$/.test(k)) return "api_key";
  return "secret";
}

function redactAssignments(text: string): string {
  return text.replace(
    ASSIGNMENT,
    (
      match,
      key: string,
      sep: string,
      dq?: string,
      dqVal?: string,
      sq?: string,
      sqVal?: string,
      bare?: string,
    ) => {
      const value = dqVal ?? sqVal ?? bare ?? "";
      if (value.startsWith(PLACEHOLDER_PREFIX)) return match;
      const type = secretKeyType(key);
      if (!type) return match;
      const open = dq ?? sq ?? "";
      return `${key}${sep}${open}${placeholder(type)}`;
    },
  );
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
  for (const rule of TOKEN_RULES) {
    const { replace, type } = rule;
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      if (!replace) return placeholder(type);
      // `rest` is the capture groups, then the offset (a number), the input and named groups.
      const groups = rest.slice(
        0,
        rest.findIndex((x) => typeof x === "number"),
      ) as string[];
      return replace(match, ...groups) ?? match;
    });
  }
  return redactAssignments(out);
}

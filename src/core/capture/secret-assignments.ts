/**
 * Secrets known by the name they are given: `KEY=value`, `KEY: value`,
 * `"key": "value"`, `key := "v"`, `'key' => 'v'`, `--key=value`,
 * `--password value`. The key name is kept and the value replaced.
 *
 * Keys are of two strengths (after camelCase → snake_case and lower-casing):
 * - strong (`password`, `secret`, `token`, `api_key`, `client_secret`, ...):
 *   any value is redacted, except declarations (`password: string`), code
 *   (`token = getToken()`) and references (`${DB_PASSWORD}`);
 * - weak (a part `key`, `auth`, `access`, `credential`, `sig`, ...): the
 *   value is redacted only when it looks generated (gitleaks' generic rule:
 *   10+ token characters, letters and digits, entropy of 3.5 bits or more).
 *
 * Only the key and separator are matched by the regex; the value is read by
 * hand. A key that names no secret does not consume its value, so an
 * assignment inside a JSON string (`{"command":"login with password=x"}`) is
 * still found.
 */
import { PLACEHOLDER_PREFIX, placeholder, scanEdits } from "./redaction-scan.js";
import { entropyAtLeast, isCodeReference, isNonValue, isUuid, lettersAndDigits } from "./secret-checks.js";

const MAX_VALUE = 1024;

/**
 * Words one of which every key of a secret contains. The scan looks for
 * these (a fast literal search) and only then reads the key around the hit
 * and the separator after it, so ordinary `name: value` pairs cost nothing.
 */
const TRIGGER =
  /pass|pwd|pw|secret|token|key|cred|auth|conn|access|sig|hmac|salt|seed|jwt|bearer|otp|licen|dsn|mnemonic|private/gi;
const MAX_KEY = 80;
/** After the key: optional closing quotes or bracket, then `=`, `:`, `:=`, `=>`, `?=`, `!=`, `==`. */
const SEPARATOR = /\\{0,3}["'`]?\]?[ \t]{0,5}(?::=|=>|\?=|!=|[:=]{1,3})[ \t]{0,5}/y;
/** `--password value` (a flag and a space, then the value). */
const FLAG_SPACE = /[ \t]{1,5}(?=[^\s-])/y;

function isKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 95 ||
    c === 46 ||
    c === 36 ||
    c === 45
  );
}

const STRONG =
  /(?:^|_)(?:password|passwd|passphrase|passcode|pwd|pw|pass|secrets?|token|apikey|api_key|access_key|secret_key|private_key|client_secret|secret_access_key|auth_token|authtoken|access_token|refresh_token|id_token|session_token|bearer_token|credentials?|account_key|accountkey|auth_key|signing_key|encryption_key|master_key|shared_key|sharedaccesskey|service_key|app_secret|webhook_secret|password_confirm|password_confirmation|connection_string|connectionstring|conn_str|sas_token|private_token|secretkey|clientsecret|apitoken|api_token)$/;
const WEAK_PART = new Set([
  "key",
  "auth",
  "access",
  "credential",
  "credentials",
  "creds",
  "secret",
  "token",
  "sig",
  "signature",
  "hmac",
  "salt",
  "seed",
  "jwt",
  "bearer",
  "otp",
  "totp",
  "license",
  "licence",
  "dsn",
  "mnemonic",
  "private",
]);
/** Parts that make a weak key a non-secret (`cache_key`, `public_key`, `s3_object_key`, `hotkey`). */
const NOT_SECRET_PART = new Set(
  (
    "cache hash sort partition primary foreign unique idempotency dedup dedupe lookup index public pub row " +
    "object column map group episode memory event message trace span request cursor page next prev list item " +
    "bucket file path region id name type version hotkey shortcut keyboard sha checksum digest etag commit " +
    "fingerprint kid thumbprint react i18n translation label field prop props sort_key max min count len length"
  ).split(" "),
);

type Strength = "strong" | "weak";

function keyParts(key: string): string[] {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return snake.split(/[^a-z0-9]+/).filter((p) => p !== "");
}

function classifyKey(key: string): { strength: Strength; type: string } | null {
  const parts = keyParts(key);
  if (parts.length === 0) return null;
  const joined = parts.join("_");
  if (STRONG.test(joined)) return { strength: "strong", type: typeFor(joined) };
  if (parts.some((p) => NOT_SECRET_PART.has(p))) return null;
  const last = parts[parts.length - 1]!;
  if (parts.some((p) => WEAK_PART.has(p)) || /(?:key|token|secret)$/.test(last)) {
    return { strength: "weak", type: typeFor(joined) };
  }
  return null;
}

function typeFor(k: string): string {
  if (/pass|pwd|(?:^|_)pw$/.test(k)) return "password";
  if (/aws/.test(k) || /secret_access_key$/.test(k)) return "aws_secret_key";
  if (/connection|conn_str/.test(k)) return "connection_string";
  if (/token$/.test(k)) return "token";
  if (/key$/.test(k)) return "api_key";
  return "secret";
}

interface Value {
  text: string;
  start: number;
  end: number;
  quoted: boolean;
}

/** Reads the value that starts at `pos`: quoted (up to its closing quote, escapes honoured) or bare. */
function readValue(text: string, pos: number): Value | null {
  let i = pos;
  if (text[i] === "@") i++; // C# verbatim string
  let slashes = 0;
  while (text[i + slashes] === "\\" && slashes < 3) slashes++;
  const q = text[i + slashes];
  if (q === '"' || q === "'" || q === "`") {
    const start = i + slashes + 1;
    const limit = Math.min(text.length, start + MAX_VALUE);
    let j = start;
    if (slashes === 0) {
      while (j < limit && text[j] !== q && text[j] !== "\n" && text[j] !== "\r")
        j += text[j] === "\\" ? 2 : 1;
    } else {
      const closer = `${"\\".repeat(slashes)}${q}`;
      const found = text.indexOf(closer, start);
      j = found === -1 || found > limit ? limit : found;
      const nl = text.indexOf("\n", start);
      if (nl !== -1 && nl < j) j = nl;
    }
    j = Math.min(j, limit);
    return { text: text.slice(start, j), start, end: j, quoted: true };
  }
  if (slashes > 0) return null;
  const first = text[i];
  if (first === undefined || "{[(".includes(first)) return null;
  let j = i;
  const limit = Math.min(text.length, i + MAX_VALUE);
  while (
    j < limit &&
    !BARE_STOP.has(text.charCodeAt(j)) &&
    !(SOFT_STOP.has(text.charCodeAt(j)) && endsHere(text, j))
  ) {
    j++;
  }
  if (j === i) return null;
  return { text: text.slice(i, j), start: i, end: j, quoted: false };
}

const BARE_STOP = new Set([..." \t\r\n\"'`\\<>|)]}"].map((c) => c.charCodeAt(0)));
/** `&`, `;` and `,` end a bare value when a next field follows (`;Database=`, `&x=`, `, user:`) or nothing does. */
const SOFT_STOP = new Set([..."&;,"].map((c) => c.charCodeAt(0)));
const NEXT_FIELD = /[ \t]?[\w.$-]{1,80}[=:]/y;

function endsHere(text: string, j: number): boolean {
  const next = text[j + 1];
  if (next === undefined || /[\s"'`\\&;,]/.test(next)) return true;
  NEXT_FIELD.lastIndex = j + 1;
  return NEXT_FIELD.test(text);
}

/** Looks generated: 10+ characters, letters and digits, entropy >= 3.5 bits, no spaces. */
function looksGenerated(v: string): boolean {
  return (
    v.length >= 10 &&
    v.length <= 512 &&
    !/\s/.test(v) &&
    lettersAndDigits(v) &&
    !isUuid(v) &&
    entropyAtLeast(v, 3.5)
  );
}

function shouldRedact(strength: Strength, v: Value): boolean {
  const value = v.text;
  if (value.startsWith(PLACEHOLDER_PREFIX) || isNonValue(value)) return false;
  if (!v.quoted && isCodeReference(value)) return false;
  if (strength === "weak") return looksGenerated(value);
  return !/^\d{1,3}$/.test(value); // `pass: 12` (a count), `token: 0`
}

export function redactAssignments(text: string): string {
  if (
    !/pass|pwd|pw|secret|token|key|cred|auth|conn|access|sig|hmac|salt|seed|jwt|bearer|otp|licen|dsn|mnemonic|private/i.test(
      text,
    )
  ) {
    return text;
  }
  return scanEdits(text, TRIGGER, (m) => {
    let start = m.index;
    while (start > 0 && isKeyChar(text.charCodeAt(start - 1)) && m.index - start < MAX_KEY) start--;
    let end = m.index + m[0].length;
    while (end < text.length && isKeyChar(text.charCodeAt(end)) && end - start < MAX_KEY) end++;
    TRIGGER.lastIndex = end; // one look per key, however many trigger words it holds
    if ((start > 0 && isKeyChar(text.charCodeAt(start - 1))) || isKeyChar(text.charCodeAt(end))) return null;
    // `\npassword=` inside a JSON string: the `n` of the escape is not part of the key.
    if (/[nrt]/.test(text[start]!) && text[start - 1] === "\\") start++;
    const key = text.slice(start, end);
    SEPARATOR.lastIndex = end;
    let sep = SEPARATOR.exec(text);
    if (!sep && key.startsWith("--")) {
      FLAG_SPACE.lastIndex = end;
      sep = FLAG_SPACE.exec(text);
    }
    if (!sep) return null;
    const cls = classifyKey(key);
    if (!cls) return null;
    const value = readValue(text, end + sep[0].length);
    if (!value) return null;
    if (!shouldRedact(cls.strength, value)) {
      // A bare value holds no further `key=`: go on after it (keeps `key=key=key=...` linear).
      if (!value.quoted) TRIGGER.lastIndex = value.end;
      return null;
    }
    return { start: value.start, end: value.end, replacement: placeholder(cls.type) };
  });
}

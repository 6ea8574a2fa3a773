/**
 * Secrets known by where they stand rather than by their shape: HTTP
 * credential headers, credentials in URLs, "my password is ...", command
 * flags (`curl -u`, `IDENTIFIED BY`, `.netrc`), payment card numbers and an
 * AWS secret access key written next to its key id. Each rule is one bounded
 * regex (no nested unbounded repetition) plus a check in code.
 */
import { PLACEHOLDER_PREFIX, placeholder, scanEdits } from "./redaction-scan.js";
import { entropyAtLeast, isCardNumber, isNonValue, lettersAndDigits, mixedCase } from "./secret-checks.js";

/** The end of a header value: end of line, a quote, a backslash (a JSON escape) or a backtick; at most 2,048 characters. */
function headerValueEnd(text: string, start: number): number {
  const limit = Math.min(text.length, start + 2048);
  let j = start;
  while (j < limit && !HEADER_STOP.has(text.charCodeAt(j))) j++;
  while (j > start && (text[j - 1] === " " || text[j - 1] === "\t")) j--;
  return j;
}
const HEADER_STOP = new Set([..."\r\n\"'\\`"].map((c) => c.charCodeAt(0)));

const AUTH_HEADER =
  /\b(?:proxy-)?authorization\\{0,3}["']?[ \t]{0,5}[:=][ \t]{0,5}\\{0,3}["']?[ \t]{0,5}(?:(bearer|basic|token|digest|bot|apikey|api-key|sso-key|negotiate|ntlm|hmac|key|gitlab-token|aws4-hmac-sha256)[ \t]{1,10})?/gi;
const COOKIE_HEADER =
  /\b(?:set-)?cookie\\{0,3}["']?[ \t]{0,5}:[ \t]{0,5}|(?<![\w-])(?:-b|--cookie)[ \t]{1,5}\\{0,3}["']?/gi;
const BEARER = /(?<![A-Za-z0-9])[Bb]earer[ \t]{1,10}/g;
const BEARER_TOKEN = /^[A-Za-z0-9._~+/=-]{8,}/;

/** The header's value goes; a value that is no credential is skipped whole, so scanning stays linear. */
function headerEdit(text: string, re: RegExp, m: RegExpExecArray, type: string, ok: (v: string) => boolean) {
  const start = m.index + m[0].length;
  const end = headerValueEnd(text, start);
  const value = text.slice(start, end);
  if (value === "" || value.startsWith(PLACEHOLDER_PREFIX) || isNonValue(value) || !ok(value)) {
    if (re.lastIndex < end) re.lastIndex = end;
    return null;
  }
  return { start, end, replacement: placeholder(type) };
}

/** `Authorization: <scheme> <credentials>`, `Cookie:`, `Set-Cookie:`, `curl -b`, `Bearer <token>`: the value goes, the name stays. */
export function redactHeaders(text: string): string {
  let out = text;
  if (/authorization/i.test(out)) {
    out = scanEdits(out, AUTH_HEADER, (m) => {
      const scheme = m[1]?.toLowerCase();
      const type = scheme === "basic" ? "basic_auth" : scheme === "bearer" ? "bearer_token" : "authorization";
      return headerEdit(out, AUTH_HEADER, m, type, (v) =>
        scheme === "bearer"
          ? /[0-9]/.test(v) || v.length >= 20
          : scheme
            ? true
            : v.length >= 8 && lettersAndDigits(v),
      );
    });
  }
  if (/cookie|-b\b/i.test(out)) {
    out = scanEdits(out, COOKIE_HEADER, (m) =>
      headerEdit(out, COOKIE_HEADER, m, "cookie", (v) => v.includes("=")),
    );
  }
  if (/earer/.test(out)) {
    // Tokens have digits or are long; "Bearer authentication" is prose.
    out = scanEdits(out, BEARER, (m) => {
      const start = m.index + m[0].length;
      const tok = BEARER_TOKEN.exec(out.slice(start, start + 4096))?.[0];
      if (!tok || !(/[0-9]/.test(tok) || tok.length >= 20)) return null;
      return { start, end: start + tok.length, replacement: placeholder("bearer_token") };
    });
  }
  return out;
}

/** `scheme://user:password@` (user may be empty: `redis://:pw@host`) and `scheme://<token>@` (a Sentry DSN). */
const URL_USERINFO = /(?<=:\/\/)([^\s/:@"'<>\\]{0,256})(?::([^\s/"'<>\\]{0,256}))?@/g;

export function redactUrlCredentials(text: string): string {
  if (!text.includes("://")) return text;
  return scanEdits(text, URL_USERINFO, (m) => {
    const user = m[1] ?? "";
    const pass = m[2];
    if (user.startsWith(PLACEHOLDER_PREFIX)) return null;
    const tokenUser = user.length >= 16 && lettersAndDigits(user) && entropyAtLeast(user, 3);
    if (!pass && !tokenUser) return null;
    return { start: m.index, end: m.index + m[0].length - 1, replacement: placeholder("url_credentials") };
  });
}

/** Common words that follow "password is" in prose without being a password. */
const PROSE_STOP = new Set(
  (
    "a an the not no now set wrong incorrect invalid correct required needed missing empty expired too also " +
    "stored hashed encrypted saved changed reset being still only just same different visible hidden shown " +
    "displayed in on at of for to from with by as and or but if is it its this that these those your my our " +
    "their his her what which who when where how why weak strong long short case sensitive never always " +
    "ok fine good bad there here optional mandatory used unused generated rotated valid protected secure " +
    "insecure known unknown above below following below: provided given correctly properly stored. enabled " +
    "disabled handled checked verified sent shared leaked compromised out safe then"
  ).split(" "),
);

const PROSE =
  /\b(password|passphrase|passcode|passwd|pwd|pin(?: code)?|secret(?: key)?|api[ -]?key|access token|auth token|token)((?:[ \t]{1,5}(?:for|of|to|on|at|in)(?:[ \t]{1,5}[^\s]{1,40}){1,4})?)[ \t]{1,5}(?:is|was|is now|is set to|was set to|set to|changed to)[ \t]{1,5}/gi;
const PROSE_VALUE = /^(?:\\{0,3}["'`])?([^\s"'`\\<>]{1,256})/;

/** "my password is hunter2", "the API key for staging is ...": the next word goes unless it is ordinary prose. */
export function redactProse(text: string): string {
  if (!/pass|pwd|pin|secret|key|token/i.test(text)) return text;
  return scanEdits(text, PROSE, (m) => {
    const at = m.index + m[0].length;
    const vm = PROSE_VALUE.exec(text.slice(at, at + 300));
    if (!vm) return null;
    const raw = vm[1]!.replace(/[.,;:)\]}]+$/, ""); // sentence punctuation; `!` and `?` may be part of it
    if (raw === "" || raw.startsWith(PLACEHOLDER_PREFIX) || isNonValue(raw)) return null;
    if (PROSE_STOP.has(raw.toLowerCase())) return null;
    const start = at + vm[0].length - vm[1]!.length;
    const type = /pass|pwd|pin/i.test(m[1]!) ? "password" : /key/i.test(m[1]!) ? "api_key" : "secret";
    return { start, end: start + raw.length, replacement: placeholder(type) };
  });
}

const FLAG_RULES: { hint: RegExp; re: RegExp; type: string }[] = [
  // curl -u user:password, --user user:password (the user is kept)
  { hint: /-u|--user/, re: /(?<![\w-])(?:-u|--user)[ \t=]{1,5}["']?[^\s:"']{1,128}:/g, type: "password" },
  // MySQL / PostgreSQL: IDENTIFIED BY 'pw', PASSWORD 'pw'
  {
    hint: /identified|password/i,
    re: /\b(?:identified[ \t]{1,5}by|with[ \t]{1,5}password|password)[ \t]{1,5}(?=['"])/gi,
    type: "password",
  },
  // .netrc: machine host login user password pw
  {
    hint: /machine/,
    re: /\bmachine[ \t]{1,5}\S{1,256}[ \t]{1,5}login[ \t]{1,5}\S{1,256}[ \t]{1,5}password[ \t]{1,5}/g,
    type: "password",
  },
  // docker login -p pw, sshpass -p pw
  {
    hint: /login|sshpass/,
    re: /\b(?:login[^\n]{0,200}?[ \t]-p|sshpass[ \t]{1,5}-p)[ \t]{1,5}/g,
    type: "password",
  },
];

/** Credentials given to commands as flags. */
export function redactFlags(text: string): string {
  let out = text;
  for (const rule of FLAG_RULES) {
    if (!rule.hint.test(out)) continue;
    out = scanEdits(out, rule.re, (m) => {
      const at = m.index + m[0].length;
      const vm = /^(?:(["'])([^"'\n]{1,256})\1|([^\s"'`\\]{1,256}))/.exec(out.slice(at, at + 300));
      if (!vm) return null;
      const value = vm[2] ?? vm[3]!;
      if (value.startsWith(PLACEHOLDER_PREFIX) || isNonValue(value)) return null;
      const start = vm[2] !== undefined ? at + 1 : at;
      return { start, end: start + value.length, replacement: placeholder(rule.type) };
    });
  }
  return out;
}

/** 13 to 19 digits, optionally grouped by spaces or dashes, not part of a longer number or identifier. */
const CARD = /(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)/g;

export function redactCardNumbers(text: string): string {
  if (!/\d{4}/.test(text)) return text;
  return scanEdits(text, CARD, (m) => {
    const s = m[0];
    const seps = s.replace(/\d/g, "");
    if (seps.length > 0 && (new Set(seps).size > 1 || seps.length > 4)) return null;
    if (!isCardNumber(s.replace(/[ -]/g, ""))) return null;
    return { start: m.index, end: m.index + s.length, replacement: placeholder("card_number") };
  });
}

/** An AWS secret access key on its own (40 base64 characters), in a text that mentions AWS or has a key id. */
const AWS_CONTEXT = /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}|aws/i;
const AWS_SECRET = /(?<=^|[^A-Za-z0-9+/=]|\\[nrt])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;

export function redactAwsSecretKeys(text: string): string {
  if (!AWS_CONTEXT.test(text)) return text;
  return scanEdits(text, AWS_SECRET, (m) => {
    const s = m[0];
    if (!(mixedCase(s) || (/[A-Z]/.test(s) && /[a-z]/.test(s) && /[/+]/.test(s)))) return null;
    if (!entropyAtLeast(s, 4)) return null;
    return { start: m.index, end: m.index + s.length, replacement: placeholder("aws_secret_key") };
  });
}

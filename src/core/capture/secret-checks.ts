/**
 * Small pure predicates the redaction rules use to tell a secret from text
 * that only looks like one: Shannon entropy, character mix, Luhn, UUIDs and
 * values that are code (a type name, a variable, a template) rather than data.
 */

/** Shannon entropy in bits per character (0 for an empty string). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export const entropyAtLeast = (s: string, bits: number) => shannonEntropy(s) >= bits;

const HAS_DIGIT = /[0-9]/;
const HAS_UPPER = /[A-Z]/;
const HAS_LOWER = /[a-z]/;
const HAS_LETTER = /[A-Za-z]/;

export const hasDigit = (s: string) => HAS_DIGIT.test(s);
/** Upper case, lower case and a digit: how generated tokens look, and words and hex do not. */
export const mixedCase = (s: string) => HAS_UPPER.test(s) && HAS_LOWER.test(s) && HAS_DIGIT.test(s);
export const lettersAndDigits = (s: string) => HAS_LETTER.test(s) && HAS_DIGIT.test(s);

/** Luhn checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Payment card numbers by issuer prefix and length (Visa, Mastercard, Amex,
 * Discover, JCB, Diners, UnionPay, Maestro), Luhn-valid.
 */
export function isCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19 || !luhnValid(digits)) return false;
  if (/^(?:0+|(\d)\1+)$/.test(digits)) return false;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === "4") return n === 16 || n === 19; // Visa (13-digit cards are long gone; ms timestamps are not)
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // Amex
  if (p4 === 6011 || p2 === 65 || (p6 >= 644000 && p6 <= 649999)) return n >= 16; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
  if (p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) return n >= 14; // Diners
  if (p2 === 62) return n >= 16; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 16; // Maestro
  return false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

/** Hex digests (md5, sha1, sha256, sha512) and git object ids. */
const HEX_DIGEST = /^(?:[0-9a-f]{7,12}|[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i;
export const isHexDigest = (s: string) => HEX_DIGEST.test(s);

/** Words a value can be that make an assignment a declaration, not a secret. */
const NON_VALUES = new Set([
  "string",
  "str",
  "number",
  "int",
  "integer",
  "bool",
  "boolean",
  "bytes",
  "any",
  "unknown",
  "object",
  "null",
  "nil",
  "none",
  "undefined",
  "true",
  "false",
  "required",
  "optional",
  "yes",
  "no",
  "on",
  "off",
  "empty",
  "redacted",
  "hidden",
  "masked",
  "omitted",
  "todo",
  "tbd",
  "n/a",
  "na",
  "secret",
  "password",
  "token",
  "xxx",
  "...",
  "<redacted>",
  "await",
  "yield",
  "new",
  "async",
  "function",
  "require",
  "import",
  "typeof",
  "this",
  "self",
  "lambda",
  "not",
]);

/** A template or a reference to where the secret comes from: `${X}`, `$X`, `{{ x }}`, `<your-key>`, `process.env.X`, `***`. */
const REFERENCE =
  /^(?:\$[A-Z_][A-Z0-9_]*$|\$\{[^}]{1,100}\}?$|\$\(|%[A-Za-z_]\w*%|\{\{|<[^>]*>?$|\[[A-Z_ ]+\]$|process\.env\b|os\.environ|os\.getenv|env\(|ENV\[|getenv\(|secrets\.|vars\.|\*{3,}|x{4,}$|\.{3})/i;

/** A value that says nothing secret: a type name, a keyword, a reference, a placeholder. */
export function isNonValue(value: string): boolean {
  if (value.length === 0) return true;
  if (NON_VALUES.has(value.toLowerCase())) return true;
  return REFERENCE.test(value);
}

/**
 * Bare (unquoted) values that are code: `this.password`, `settings.API_KEY`,
 * `getToken(` (a bare value stops at the parenthesis), `newPassword`.
 * Segments with digits inside (`Lrzj2H.Ykrw2`) are data, not identifiers.
 */
const DOTTED_PATH = /^[a-z_$][A-Za-z_$]*(?:(?:\.|\?\.|::|->)(?:[a-z_$][A-Za-z_$]*|[A-Z][A-Z0-9_]*))+[;,]*$/;
const CALL = /^[A-Za-z_$][\w$.]*\($/;
const IDENTIFIER = /^[A-Za-z_$]+[;,)]*$/;
const SECRET_WORD = /pass|pwd|secret|token|key|auth|cred/i;

export function isCodeReference(value: string): boolean {
  if (DOTTED_PATH.test(value) || CALL.test(value)) return true;
  return IDENTIFIER.test(value) && SECRET_WORD.test(value);
}

/**
 * Parsers for configuration values, each with the words that say what it
 * accepts, so an error can name the variable, the value, where it came from
 * and what to write instead. Hand-written rather than a schema library: every
 * command validates its configuration before doing anything, and this keeps
 * that off the start-up path (see docs/cli.md, start-up time).
 */

/** A parsed value, or what the parser accepts. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

export interface ValueKind<T> {
  parse(raw: string): Parsed<T>;
  /** Secrets are never echoed in messages. */
  secret?: boolean;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (expected: string): Parsed<never> => ({ ok: false, expected });

export const text: ValueKind<string> = {
  parse: (raw) => (raw.trim() === "" ? no("a non-empty value") : ok(raw.trim())),
};

export function secretText(minLength = 1): ValueKind<string> {
  return {
    secret: true,
    parse: (raw) =>
      raw.trim().length >= minLength
        ? ok(raw.trim())
        : no(minLength > 1 ? `at least ${minLength} characters` : "a non-empty value"),
  };
}

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off"];

export const bool: ValueKind<boolean> = {
  parse(raw) {
    const s = raw.trim().toLowerCase();
    if (TRUE.includes(s)) return ok(true);
    if (FALSE.includes(s)) return ok(false);
    return no("true or false (also 1/0, yes/no, on/off)");
  },
};

function wholeNumber(raw: string): number | null {
  const s = raw.trim();
  return /^\d+$/.test(s) ? Number(s) : null;
}

export const port: ValueKind<number> = {
  parse(raw) {
    const n = wholeNumber(raw);
    return n !== null && n <= 65535 ? ok(n) : no("a port number from 0 to 65535 (0 picks a free one)");
  },
};

export const positiveInt: ValueKind<number> = {
  parse(raw) {
    const n = wholeNumber(raw);
    return n !== null && n >= 1 && Number.isSafeInteger(n) ? ok(n) : no("a whole number of 1 or more");
  },
};

export const nonNegativeInt: ValueKind<number> = {
  parse(raw) {
    const n = wholeNumber(raw);
    return n !== null && n >= 0 && Number.isSafeInteger(n) ? ok(n) : no("a whole number of 0 or more");
  },
};

export const httpUrl: ValueKind<string> = {
  parse(raw) {
    try {
      const u = new URL(raw.trim());
      if (u.protocol === "http:" || u.protocol === "https:") return ok(raw.trim());
    } catch {
      // fall through
    }
    return no("an http:// or https:// URL such as https://example.com");
  },
};

export function oneOf<const T extends string>(values: readonly T[]): ValueKind<T> {
  return {
    parse(raw) {
      const s = raw.trim().toLowerCase();
      return (values as readonly string[]).includes(s) ? ok(s as T) : no(`one of ${values.join(", ")}`);
    },
  };
}

export const hostList: ValueKind<string[]> = {
  parse(raw) {
    const hosts = raw
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0);
    return hosts.length > 0 ? ok(hosts) : no("a comma-separated list of host names");
  },
};

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type ConfigLogLevel = (typeof LOG_LEVELS)[number];

/** Spellings other tools use for the same levels (LOG_LEVEL is shared by many programs). */
const LEVEL_ALIASES: Record<string, ConfigLogLevel> = {
  trace: "debug",
  verbose: "debug",
  silly: "debug",
  all: "debug",
  information: "info",
  notice: "info",
  http: "info",
  warning: "warn",
  fatal: "error",
  critical: "error",
  none: "silent",
  off: "silent",
  quiet: "silent",
};

/** A shared LOG_LEVEL: our levels, other tools' spellings of them, or null (unknown). */
export function lenientLogLevel(raw: string): ConfigLogLevel | null {
  const s = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(s)) return s as ConfigLogLevel;
  return LEVEL_ALIASES[s] ?? null;
}

/**
 * A shared DEBUG: a boolean, or a `debug`-package namespace list such as
 * `express:*` (which turns our debug logs on only if it names this tool or
 * `*`). Returns null for a value that is neither.
 */
export function lenientDebug(raw: string, toolName: string): boolean | null {
  const s = raw.trim().toLowerCase();
  if (TRUE.includes(s)) return true;
  if (FALSE.includes(s) || s === "") return false;
  if (/^[\w.:*,\s/@-]+$/.test(s) && /[:*,]/.test(s)) {
    return s.split(/[\s,]+/).some((ns) => ns === "*" || ns.startsWith(toolName));
  }
  return null;
}

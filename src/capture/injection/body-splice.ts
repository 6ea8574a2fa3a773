/**
 * Adding notes to a Messages API request body without re-serialising it:
 * the notes are inserted into the client's own bytes at the start of the
 * chosen messages' `content`, which is what `withNotes` does to the parsed
 * body (src/core/recall/proxy-injection.ts), so both give the same request
 * once parsed. The rest of the body (often hundreds of KB of history) is
 * copied as it came instead of going through JSON.stringify.
 *
 * One pass over the bytes finds the top-level `messages` array and, in the
 * chosen messages, where the `content` value starts. Strings are skipped
 * with `indexOf` (UTF-8 never puts an ASCII byte inside a multi-byte
 * character, so the structural bytes can be read one by one). Anything the
 * scan does not expect gives null, and the caller re-serialises instead.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class Unexpected extends Error {}

/** Where the notes of one message go: after the opening quote of a string content, or after `[` of a block list. */
interface ContentAt {
  kind: "string" | "array";
  /** Byte offset the insertion goes at. */
  at: number;
  /** A block list with no block (the notes block is then the only one, with no comma after it). */
  empty: boolean;
}

class Scanner {
  pos = 0;
  constructor(private readonly b: Buffer) {}

  ws(): void {
    const b = this.b;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  byte(): number {
    const c = this.b[this.pos];
    if (c === undefined) throw new Unexpected();
    return c;
  }

  expect(c: number): void {
    this.ws();
    if (this.byte() !== c) throw new Unexpected();
    this.pos++;
  }

  /** At a `"`: skips the string; returns its raw bytes between the quotes. */
  string(): Buffer {
    const b = this.b;
    if (b[this.pos] !== QUOTE) throw new Unexpected();
    const start = this.pos + 1;
    let p = start;
    for (;;) {
      const q = b.indexOf(QUOTE, p);
      if (q === -1) throw new Unexpected();
      let slashes = 0;
      for (let i = q - 1; i >= start && b[i] === BACKSLASH; i--) slashes++;
      if (slashes % 2 === 0) {
        this.pos = q + 1;
        return b.subarray(start, q);
      }
      p = q + 1;
    }
  }

  /** A key: its text (escapes decoded only when there are any). */
  key(): string {
    this.ws();
    const raw = this.string();
    const text = raw.toString("utf8");
    return raw.includes(BACKSLASH) ? (JSON.parse(`"${text}"`) as string) : text;
  }

  /** Skips one value of any kind. */
  value(): void {
    this.ws();
    const c = this.byte();
    if (c === QUOTE) {
      this.string();
      return;
    }
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      // A number, true, false or null: up to the next delimiter.
      const b = this.b;
      let p = this.pos;
      while (p < b.length) {
        const d = b[p];
        if (
          d === COMMA ||
          d === CLOSE_BRACE ||
          d === CLOSE_BRACKET ||
          d === 0x20 ||
          d === 0x0a ||
          d === 0x0d ||
          d === 0x09
        )
          break;
        p++;
      }
      if (p === this.pos) throw new Unexpected();
      this.pos = p;
      return;
    }
    // An object or an array: bytes outside strings until the matching close.
    const b = this.b;
    let depth = 0;
    let p = this.pos;
    while (p < b.length) {
      const d = b[p];
      if (d === QUOTE) {
        this.pos = p;
        this.string();
        p = this.pos;
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          this.pos = p + 1;
          return;
        }
      }
      p++;
    }
    throw new Unexpected();
  }

  /** Calls `each(key)` at every member of the object here; `each` reads the value (or skips it). */
  object(each: (key: string) => void): void {
    this.expect(OPEN_BRACE);
    this.ws();
    if (this.byte() === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      const k = this.key();
      this.expect(COLON);
      this.ws();
      each(k);
      this.ws();
      const c = this.byte();
      this.pos++;
      if (c === CLOSE_BRACE) return;
      if (c !== COMMA) throw new Unexpected();
    }
  }
}

/** Where each chosen message's content starts, by message index; null when the body is not as expected. */
function contentOffsets(
  body: Buffer,
  chosen: ReadonlySet<number>,
  messageCount: number,
): Map<number, ContentAt> | null {
  const s = new Scanner(body);
  // JSON.parse keeps the last of duplicate keys: so does the scan.
  let found: Map<number, ContentAt> | null = null;
  let count = -1;
  try {
    s.object((key) => {
      if (key !== "messages") return s.value();
      const at = new Map<number, ContentAt>();
      s.expect(OPEN_BRACKET);
      s.ws();
      let index = 0;
      if (s.byte() === CLOSE_BRACKET) s.pos++;
      else {
        for (;;) {
          if (chosen.has(index)) {
            let content: ContentAt | null = null;
            s.ws();
            if (s.byte() !== OPEN_BRACE) throw new Unexpected();
            s.object((k) => {
              if (k !== "content") return s.value();
              const c = s.byte();
              if (c === QUOTE) {
                content = { kind: "string", at: s.pos + 1, empty: false };
                s.string();
              } else if (c === OPEN_BRACKET) {
                const start = s.pos + 1;
                s.pos = start;
                s.ws();
                const empty = s.byte() === CLOSE_BRACKET;
                s.pos = start - 1;
                content = { kind: "array", at: start, empty };
                s.value();
              } else {
                content = null;
                s.value();
              }
            });
            if (content) at.set(index, content);
          } else s.value();
          index++;
          s.ws();
          const c = s.byte();
          s.pos++;
          if (c === CLOSE_BRACKET) break;
          if (c !== COMMA) throw new Unexpected();
        }
      }
      found = at;
      count = index;
    });
    s.ws();
    if (s.pos !== body.length) return null;
  } catch (e) {
    if (e instanceof Unexpected) return null;
    throw e;
  }
  return count === messageCount ? found : null;
}

/** What goes in at one message: the escaped text inside a string, or a text block (and a comma) in a list. */
function insertion(content: ContentAt, notes: string): string {
  if (content.kind === "string") return JSON.stringify(`${notes}\n\n`).slice(1, -1);
  return JSON.stringify({ type: "text", text: notes }) + (content.empty ? "" : ",");
}

/**
 * The body with `notes` (message index → text) added as `withNotes` adds
 * them, spliced into the client's bytes; null when the bytes are not what
 * the scan expects (the caller re-serialises). `kinds` is each chosen
 * message's content as the parsed body has it, checked against the scan.
 */
export function spliceNotes(
  body: Buffer,
  notes: ReadonlyMap<number, string>,
  messageCount: number,
  kinds: ReadonlyMap<number, "string" | "array">,
): Buffer | null {
  const offsets = contentOffsets(body, new Set(notes.keys()), messageCount);
  if (!offsets) return null;
  const parts: Buffer[] = [];
  let from = 0;
  const order = [...notes.keys()].sort((a, b) => a - b);
  for (const index of order) {
    const content = offsets.get(index);
    if (!content || content.kind !== kinds.get(index)) return null;
    parts.push(
      body.subarray(from, content.at),
      Buffer.from(insertion(content, notes.get(index) ?? ""), "utf8"),
    );
    from = content.at;
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

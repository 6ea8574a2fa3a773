/**
 * Word tokens as SQLite's `unicode61 remove_diacritics 2` tokenizer sees them:
 * case folded, Latin diacritics removed, split on anything that is not a
 * letter or a number (punctuation, symbols, emoji, control characters and
 * non-diacritic combining marks are separators).
 */
const DIACRITIC_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const WORD = /[\p{L}\p{N}]+/gu;

/** Longest token kept; longer runs (base64 blobs, random noise) cannot be useful search terms. */
export const MAX_TOKEN_CHARS = 128;

/**
 * Where the words of an ASCII text are: runs of A-Z, a-z and 0-9 (what WORD
 * matches there), none longer than MAX_TOKEN_CHARS, as start and end offsets
 * in pairs; null when the text has a character outside ASCII (then the
 * Unicode rules of wordTokens apply). Found without a regular expression:
 * searches tokenise hundreds of texts, and this is several times faster
 * than matchAll. The offsets hold in the text's lower case too.
 */
export function asciiTokenSpans(text: string): number[] | null {
  const spans: number[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c >= 0x80) return null;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start <= MAX_TOKEN_CHARS) spans.push(start, i);
      start = -1;
    }
  }
  return spans;
}

/** Case-folded, diacritic-free words of `text`, in order, duplicates kept. */
export function wordTokens(text: string): string[] {
  const lower = text.toLowerCase();
  const spans = asciiTokenSpans(text);
  if (spans) {
    const out: string[] = [];
    for (let k = 0; k < spans.length; k += 2) out.push(lower.slice(spans[k], spans[k + 1]));
    return out;
  }
  const folded = lower.normalize("NFD").replace(DIACRITIC_MARKS, "");
  const out: string[] = [];
  for (const match of folded.matchAll(WORD)) {
    const token = match[0];
    if (token.length <= MAX_TOKEN_CHARS) out.push(token);
  }
  return out;
}

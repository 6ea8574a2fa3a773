/**
 * Word tokens as SQLite's `unicode61 remove_diacritics 2` tokenizer sees them:
 * case folded, Latin diacritics removed, split on anything that is not a
 * letter or a number (punctuation, symbols, emoji, control characters and
 * non-diacritic combining marks are separators).
 */
const DIACRITIC_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const WORD = /[\p{L}\p{N}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;

/** Longest token kept; longer runs (base64 blobs, random noise) cannot be useful search terms. */
export const MAX_TOKEN_CHARS = 128;

/**
 * The words of a case-folded ASCII text: runs of a-z and 0-9 (what WORD
 * matches there), found without a regular expression (searches tokenise
 * hundreds of texts, and this is several times faster than matchAll).
 */
function asciiTokens(lower: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 0;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start <= MAX_TOKEN_CHARS) out.push(lower.slice(start, i));
      start = -1;
    }
  }
  return out;
}

/** Case-folded, diacritic-free words of `text`, in order, duplicates kept. */
export function wordTokens(text: string): string[] {
  const lower = text.toLowerCase();
  if (ASCII.test(lower)) return asciiTokens(lower);
  const folded = lower.normalize("NFD").replace(DIACRITIC_MARKS, "");
  const out: string[] = [];
  for (const match of folded.matchAll(WORD)) {
    const token = match[0];
    if (token.length <= MAX_TOKEN_CHARS) out.push(token);
  }
  return out;
}

/** The one scanning loop every redaction rule shares (pure, linear in the text). */

export const PLACEHOLDER_PREFIX = "[REDACTED:";
export const placeholder = (type: string) => `${PLACEHOLDER_PREFIX}${type}]`;

/** What to do with a match: replace `text[start, end)` with `replacement`. Null keeps the text. */
export interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Runs the global regex `re` over `text`; for each match `decide` may return
 * an edit (absolute positions, at or after the match start). The scan
 * continues after the edit, or after the match when nothing is edited, so a
 * rejected match never hides a later one beyond its own end.
 */
export function scanEdits(text: string, re: RegExp, decide: (m: RegExpExecArray) => Edit | null): string {
  let out = "";
  let copied = 0;
  let edited = false;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    const edit = decide(m);
    if (!edit || edit.start < copied) continue;
    out += text.slice(copied, edit.start) + edit.replacement;
    edited = true;
    copied = edit.end;
    if (re.lastIndex < edit.end) re.lastIndex = edit.end;
  }
  return edited ? out + text.slice(copied) : text;
}

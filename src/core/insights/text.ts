/**
 * Small text helpers shared by the extraction patterns and the key-phrase
 * weighting: code-block stripping, sentence splitting, tokenising.
 */

/** English function words and chat filler that never make a topic. */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during each else
even ever every few for from further get gets got had hadn has hasn have haven having he her here hers
herself him himself his how however i if in into is isn it its itself just let lets like ll made make makes
many may maybe me might more most much must mustn my myself need needs no nor not now of off ok okay on once
one only or other our ours ourselves out over own please re really right same say says see seems shall
shan she should shouldn so some something still such sure than thank thanks that the their theirs them
themselves then there these they thing things this those though through to too try under until up upon us
use used uses using ve very via want wants was wasn way we well were weren what when where whether which
while who whom why will with won would wouldn yes yet you your yours yourself yourselves i'll i'm i've
i'd you're you'll you've we're we'll we've it's that's there's let's don't doesn't didn't can't won't
isn't aren't wasn't haven't hasn't should've could've would've here's what's lgtm great good done now
first next last new look looks looking check checked run running ran work works working worked file
files change changes changed go going want add added adding fix fixed fixing issue problem help line
lines think know see seen tell told per instead etc give call called yeah hi hello`.split(/\s+/),
);

/** Removes fenced code blocks (``` or ~~~), keeping the prose around them. */
export function stripCodeBlocks(text: string): string {
  return text.replace(/(^|\n)(```|~~~)[^\n]*\n[\s\S]*?(\n\2[^\n]*(?=\n|$)|$)/g, "$1");
}

/** Inline `code` → code (keeps the words, drops the backticks). */
export function unquoteInlineCode(text: string): string {
  return text.replace(/`([^`\n]+)`/g, "$1");
}

/** Prose fit for the statement patterns: no fenced code, no backticks, no quoted lines. */
export function prose(text: string): string {
  return unquoteInlineCode(stripCodeBlocks(text))
    .split("\n")
    .filter((l) => !/^\s*>/.test(l))
    .join("\n");
}

/**
 * Splits prose into sentences: at line breaks, at bullet markers, and after
 * `.`, `!`, `?` or `;` followed by a space. Dots inside words (file.ts, v1.2) stay.
 */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const rawLine of text.split(/\n+/)) {
    const line = rawLine.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, "").trim();
    if (!line) continue;
    for (const s of line.split(/(?<=[.!?;])\s+(?=\S)/)) {
      const t = s.trim();
      if (t) out.push(t);
    }
  }
  return out;
}

/** Lower-case words and identifiers (better-sqlite3, vite.config.ts, node:test), without stopwords. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[a-z][a-z0-9_]*(?:[-.:/+#][a-z0-9_]+)*/g)) {
    const t = m[0];
    if (t.length < 2 || t.length > 40 || STOPWORDS.has(t)) continue;
    out.push(t);
  }
  return out;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word.toLowerCase());
}

/** Jaccard similarity of two token sets. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const t of sa) if (sb.has(t)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Lower-case, no trailing punctuation, single spaces: the form keys are built from. */
export function normalisePhrase(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`"“”‘’*_]/g, "")
    .replace(/'(?![a-z])/g, "")
    .replace(/\s+/g, " ")
    .replace(/^[\s,:;-]+|[\s.,!?:;-]+$/g, "")
    .trim();
}

/** Cuts text to at most `max` characters at a word boundary, with an ellipsis. */
export function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, " ").trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const sp = cut.lastIndexOf(" ");
  return `${(sp > max * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,;:.-]+$/, "")}…`;
}

/**
 * Sentence-level patterns for what a person states: preferences, decisions
 * and unfinished work. Each matcher takes one sentence of prose (no code
 * blocks) and returns a structured statement, or null.
 */
import { normalisePhrase } from "./text.js";

export interface Statement {
  /** Canonical form the key is built from (e.g. "prefer pnpm over npm"). */
  canonical: string;
  /** Structured parts (choice, replaced, purpose, verb ...). */
  fields: Record<string, string>;
  confidence: number;
}

/** Verbs in their "-s" form that are rarely nouns in a coding chat: after a noun they start a clause. */
export const VERB_S =
  "lives|leaves|keeps|says|goes|comes|makes|takes|seems|gets|needs|wants|means|knows|feels|thinks|happens|becomes|gives|tells|tries|lets|puts|sounds|belongs|depends|exists|remains|stays|sits|lies|appears|breaks|fails|works|looks|stops|starts|ships|lands|runs out|moves";

const AUX =
  "is|are|was|were|will|would|should|can|could|has|have|had|does|do|did|must|may|might|won'?t|isn'?t|aren'?t|doesn'?t|don'?t|can'?t|stays|'s|'re|'ll";

/** Verb forms after a plural or past subject ("the thumbnails get generated", "the old config went away"). */
const PLAIN_VERBS =
  "get|got|go|went|seem|seemed|need|needed|failed|broke|became|came|left|stayed|stopped|started";

/**
 * Where a sentence joins a second clause: "…, and the release train leaves
 * …", "… and we …", "never X and always Y". A coordinated object ("Redis
 * and Postgres") does not split.
 */
const CLAUSE_JOIN = new RegExp(
  String.raw`,?\s+(?:and|but|while|whereas)\s+(?=(?:we|i|you|they|he|she|it|there)\b|(?:always|never|don'?t|do not|please|let'?s|also)\b|(?:the|our|this|that|these|those|my|your|their|its)\s+(?:[\w.-]+\s+){0,3}(?:${AUX}|${VERB_S}|${PLAIN_VERBS})\b|\w+ed\s+(?:it|them|that|this|everything)\b)`,
  "i",
);

/** The clauses of a sentence, each matched on its own. */
export function clauses(sentence: string): string[] {
  return sentence
    .split(CLAUSE_JOIN)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** Hedges and intensifiers that change nothing a statement says. */
const FILLER =
  /(?<![\w-])(?:honestly|basically|actually|just|really|simply|definitely|probably|literally|kind of|sort of|pretty much|more or less|for sure)(?![\w-]),?\s*/gi;

/** The sentence without filler: "we've basically decided to just go with X" → "we've decided to go with X". */
export function dropFiller(sentence: string): string {
  return sentence
    .replace(FILLER, "")
    .replace(/\s{2,}/g, " ")
    .trim();
}

/** Where an object phrase ends: a clause boundary. */
const CLAUSE_END =
  /\s*(?:,|;|:|\(|\s[-–—]\s|\bbecause\b|\bsince\b|\bso that\b|\bso\b|\bas it\b|\bas they\b|\bwhich\b|\bthat way\b|\bbut\b|\band then\b|\bthanks\b|\bplease\b|\bfrom now on\b|\bgoing forward\b|\bin (?:the )?future\b|\bfor now\b|\bfor this\b|[.!?]\s|[.!?]$).*$/i;

const VAGUE =
  /^(?:it|this|that|them|those|these|one|option|approach|plan|the (?:first|second|third|last|other) one|yours?|the same|something|anything|whatever|what you|how you|#?\d+)\b/i;

/** Trims an object phrase to its clause and at most `maxWords` words; null when it says nothing. */
function object(raw: string | undefined, maxWords = 8): string | null {
  if (!raw) return null;
  let s = raw.replace(CLAUSE_END, "");
  s = normalisePhrase(s).replace(/^(?:the|a|an)\s+/, "");
  const words = s.split(" ").filter(Boolean);
  if (words.length === 0 || words.length > maxWords)
    return words.length > maxWords ? cut(words, maxWords) : null;
  if (VAGUE.test(s)) return null;
  return s;
}

function cut(words: string[], n: number): string | null {
  const s = words.slice(0, n).join(" ");
  return VAGUE.test(s) ? null : s;
}

/** Questions, hypotheticals and reported speech are not statements. */
function isStatement(sentence: string): boolean {
  const s = sentence.trim();
  if (s.endsWith("?")) return false;
  if (/\b(?:do|would|should|did|could|will) you (?:prefer|like|want)\b/i.test(s)) return false;
  if (/^(?:if|whether|when|unless)\b/i.test(s)) return false;
  return true;
}

const LEAD = String.raw`(?:^|[,;]\s*|\b(?:and|also|but|so|ok|okay|oh|btw|note|reminder|remember|again)[,:]?\s+)(?:please\s+)?`;

const VERBS =
  "use|run|write|add|keep|put|format|commit|push|mock|install|touch|import|create|call|name|prefix|pin|log|leave|include|delete|remove|edit|modify|change|rely on|depend on|skip|disable|enable|ask|reformat|rewrite|wrap|return|throw|export|bump|upgrade|downgrade|squash|rebase|force-push|amend|print";

const SUBJECT = String.raw`^(?:(?:note|fact|memory|preference|reminder)\s*:\s*)?(?:the )?(?:user|developer|person|owner|team)(?:\s*\([^)]*\))?`;

/** "uses" → "use" for the rule verbs, so "User always uses pnpm" reads as "always use pnpm". */
function baseVerb(word: string): string {
  const w = word.toLowerCase();
  for (const v of VERBS.split("|")) if (w === `${v}s` || w === `${v}es`) return v;
  return word;
}

/**
 * Third-person statements about the person, as stored notes often are
 * ("User prefers pnpm over npm", "The team decided to use PostgreSQL",
 * "Prefers tabs"), in the first person the patterns read. Other sentences
 * are returned unchanged.
 */
export function asFirstPerson(sentence: string): string {
  const s = sentence.trim();
  const sub = new RegExp(`${SUBJECT}\\s+`, "i").exec(s);
  let rest = sub ? s.slice(sub[0].length) : s;
  const subjectless = !sub;
  const rules: [RegExp, string | ((m: RegExpMatchArray) => string)][] = [
    [/^(?:really |strongly |generally )?prefers\s+/i, "I prefer "],
    [/^(?:has |have )?(?:decided|agreed)\s+(to|on)\s+/i, (m) => `we decided ${m[1]!.toLowerCase()} `],
    [/^(?:chose|picked|selected|settled on|went with|is going with|goes with)\s+/i, "we decided to use "],
    [/^(?:does(?:n't| not)|do(?:n't| not)) (like|want)\s+/i, (m) => `I don't ${m[1]!.toLowerCase()} `],
    [/^dislikes\s+/i, "I don't like "],
    [/^(?:still )?needs? to\s+/i, "we still need to "],
    [/^(always|never) (\w+)\s+/i, (m) => `${m[1]!.toLowerCase()} ${baseVerb(m[2]!)} `],
    [/^(?:uses|is using)\s+(?=.+\b(?:instead of|rather than|over)\b)/i, "use "],
  ];
  for (const [re, to] of rules) {
    const m = rest.match(re);
    if (!m) continue;
    // Without a subject only the unambiguous openings count ("Prefers …", "Decided to …").
    if (subjectless && !/^(?:prefers|decided|chose|settled|went|still needs|needs)\b/i.test(rest)) break;
    rest = `${typeof to === "string" ? to : to(m)}${rest.slice(m[0].length)}`;
    return rest;
  }
  return s;
}

/** "use X instead of Y" etc.: preference when said plainly, decision when prefixed by "let's" / "we'll". */
const INSTEAD = /\b(?:use|using|pick|choose|go with)\s+(.+?)\s+(?:instead of|rather than|over|not)\s+(.+)$/i;

export function matchPreference(sentence: string): Statement | null {
  if (!isStatement(sentence)) return null;
  const s = sentence.trim();
  if (/\b(?:let'?s|we(?:'ll| will| are going to| decided| have decided|'ve decided))\b/i.test(s)) return null;
  let m = s.match(
    /\bI(?: really| strongly| generally| usually| always| much| would| 'd|'d)? (?:prefer|like to use|rather use|'d rather use|would rather use) ([^,;:.!?]+?)\s+(?:over|to|rather than|instead of|than)\s+(.+)$/i,
  );
  if (m) return prefer(m[1], m[2], 0.8);
  m = s.match(/\bI(?: really| strongly| generally| usually| always| much)? prefer (.+)$/i);
  if (m) return prefer(m[1], undefined, 0.75);
  m = s.match(/\bmy preference is (?:to use |to |for )?(.+)$/i);
  if (m) return prefer(m[1], undefined, 0.75);
  m = s.match(new RegExp(`${LEAD}${INSTEAD.source}`, "i"));
  if (m) return prefer(m[1], m[2], 0.7);
  m = s.match(new RegExp(`${LEAD}always (${VERBS})\\s+(.+)$`, "i"));
  if (m) return rule("always", m[1]!, m[2], 0.75);
  m = s.match(
    new RegExp(`${LEAD}(?:never|don'?t ever|do not ever|don'?t|do not|avoid|stop) (${VERBS})\\s+(.+)$`, "i"),
  );
  if (m) return rule("never", m[1]!, m[2], 0.7);
  m = s.match(/\bI (?:don'?t|do not) (?:like|want) (?:you to )?(?:use |using |add |adding )?(.+)$/i);
  if (m) {
    const thing = object(m[1]);
    return thing
      ? { canonical: `avoid ${thing}`, fields: { polarity: "avoid", object: thing }, confidence: 0.6 }
      : null;
  }
  m = s.match(/\b(?:stick to|stick with|keep using) (.+)$/i);
  if (m) return prefer(m[1], undefined, 0.6);
  return null;
}

function prefer(
  rawChoice: string | undefined,
  rawOver: string | undefined,
  confidence: number,
): Statement | null {
  const choice = object(rawChoice, 6);
  if (!choice) return null;
  // "jest for the new tests" → "jest": the occasion is not part of the preference.
  const over = object(
    rawOver?.replace(/\s+(?:for|in|on) (?:the |all |every |new |our |this )?\S.*$/i, ""),
    6,
  );
  if (over && over !== choice) {
    return { canonical: `prefer ${choice} over ${over}`, fields: { choice, over }, confidence };
  }
  return { canonical: `prefer ${choice}`, fields: { choice }, confidence: confidence - 0.05 };
}

/** "named exports in new modules" → "named exports": where a rule applies is not part of what it says. */
const WHERE =
  /\s+(?:in|inside|within|across|throughout) (?:the |all |every |each |new |any |our |this |these |those )?\S.*$/;

function rule(polarity: "always" | "never", verb: string, rawObj: string | undefined, confidence: number) {
  const full = object(rawObj);
  if (!full) return null;
  const thing = full.replace(WHERE, "") || full;
  const v = verb.toLowerCase();
  return { canonical: `${polarity} ${v} ${thing}`, fields: { polarity, verb: v, object: thing }, confidence };
}

export function matchDecision(sentence: string): Statement | null {
  if (!isStatement(sentence)) return null;
  const s = sentence.trim();
  let m = s.match(
    /\b(?:let'?s|we(?:'ll| will| are going to| should| shall)|I(?:'ll| will)) (?:switch|move|migrate) (?:from (.+?) )?to (.+)$/i,
  );
  if (m) return decision(m[2], m[1], 0.75);
  m = s.match(
    /\b(?:let'?s|we(?:'ll| will| are going to| shall)|I(?:'ll| will)) (?:go with|use|adopt|stick with|standardi[sz]e on|settle on|pick|choose|keep) (.+)$/i,
  );
  if (m) return decision(m[1], undefined, 0.7);
  m = s.match(/\b(?:we|I)(?:'ve| have)? decided (?:to (?:use |go with |adopt |keep )?|on )(.+)$/i);
  if (m) return decision(m[1], undefined, 0.85);
  m = s.match(/^(?:decision|decided)\s*:\s*(.+)$/i);
  if (m) return decision(m[1], undefined, 0.85);
  m = s.match(/\b(?:we(?:'re| are) going with|going forward,? we use) (.+)$/i);
  if (m) return decision(m[1], undefined, 0.7);
  return null;
}

function decision(
  rawRest: string | undefined,
  rawFrom: string | undefined,
  confidence: number,
): Statement | null {
  if (!rawRest) return null;
  let rest = rawRest;
  let replacedRaw = rawFrom;
  const inst = rest.match(/^(.+?)\s+(?:instead of|rather than|over|not)\s+(.+)$/i);
  if (inst) {
    rest = inst[1]!;
    replacedRaw = inst[2];
  }
  // "for <purpose>" may sit after the choice or after what it replaces.
  let purpose: string | null = null;
  const forOf = (s: string) => s.match(/^(.+?)\s+(?:for|as) (?:the |our |a )?(.+)$/i);
  const forM = forOf(rest);
  if (forM) {
    rest = forM[1]!;
    purpose = object(forM[2], 5);
  } else if (replacedRaw) {
    const forR = forOf(replacedRaw);
    if (forR) {
      replacedRaw = forR[1]!;
      purpose = object(forR[2], 5);
    }
  }
  const replaced = replacedRaw ? object(replacedRaw, 5) : null;
  const choice = object(rest, 6);
  if (!choice) return null;
  const fields: Record<string, string> = { choice };
  if (purpose) fields.purpose = purpose;
  if (replaced) fields.replaced = replaced;
  const canonical = `use ${choice}${purpose ? ` for ${purpose}` : ""}${replaced ? ` instead of ${replaced}` : ""}`;
  return { canonical, fields, confidence };
}

const LATER =
  "(?:later|tomorrow|next time|another time|in a follow-?up|in a later (?:pr|session|change)|after (?:that|this)|at some point)";

/** Unfinished work stated by the person. */
export function matchUserTodo(sentence: string): Statement | null {
  const s = sentence.trim();
  // "Do we still need to support Node 18?" asks; it does not state work.
  if (s.endsWith("?")) return null;
  // "TODO: x", "TODO - x", or a sentence opening "TODO add …"; not "the TODO list is outdated".
  let m =
    s.match(/\bTODO\s*[:-]\s*(.+)$/) ??
    s.match(
      new RegExp(
        `^TODO\\s+((?:${VERBS}|fix|write|update|implement|handle|clean up|document|refactor|investigate|wire|migrate)\\b.+)$`,
        "i",
      ),
    );
  if (m) return todo(m[1], 0.8);
  m = s.match(
    /\b(?:next|after this|after that|then),? (?:we|I) (?:need|have|should|want|must|'ll need|will need|still need|'ve got) to (.+)$/i,
  );
  if (m) return todo(m[1], 0.75);
  m = s.match(/\b(?:we|I) still (?:need|have|want) to (.+)$/i);
  if (m) return todo(m[1], 0.75);
  m = s.match(
    new RegExp(String.raw`\b(?:let'?s|we(?:'ll| will| can| should)|I(?:'ll| will)) (.+?)\s+${LATER}\b`, "i"),
  );
  if (m && !/\b(?:check|see|talk|look at it|do it|come back)\b/i.test(m[1]!)) return todo(m[1], 0.65);
  m = s.match(
    new RegExp(String.raw`\b(?:leave|park|defer|postpone|punt on) (.+?)\s+(?:for\s+)?${LATER}\b`, "i"),
  );
  if (m) return todo(m[1], 0.7);
  m = s.match(
    /^(?:open question|still open|remaining|not done yet|open work|open task|pending)\s*:\s*(.+)$/i,
  );
  if (m) return todo(m[1], 0.65);
  return null;
}

/** Unfinished work the assistant names: deferred items and follow-ups (not its plan for this turn). */
export function matchAssistantTodo(sentence: string): Statement | null {
  const s = sentence.trim();
  let m = s.match(
    /\bI (?:haven'?t|have not|didn'?t|did not) (?:yet )?(?:had a chance to |gotten to |got to )?(.+?)(?: yet)?$/i,
  );
  if (m && /\byet\b/i.test(s)) return todo(m[1], 0.6);
  m = s.match(
    /^(.+?)\s+(?:is|are) (?:still |not yet |left |still not )(?:implemented|done|handled|wired(?: up)?|covered|supported|finished|tested)\b(.*)$/i,
  );
  if (m && /\b(?:still|not yet|left)\b/i.test(s)) {
    // "Pagination is still not implemented for the list endpoint" → "pagination for the list endpoint".
    const where = /^\s+((?:for|in|on|of) .+)$/i.exec(m[2] ?? "")?.[1];
    return todo(where ? `${m[1]} ${where}` : m[1], 0.6);
  }
  m = s.match(
    new RegExp(
      String.raw`\b(?:I'?ll leave|we can (?:do|add|handle)|can be (?:done|added|handled)) (.+?)\s+(?:for\s+)?${LATER}\b`,
      "i",
    ),
  );
  if (m) return todo(m[1], 0.6);
  m = s.match(/^(?:TODO|follow-?up|open question)\s*:\s*(.+)$/i);
  if (m) return todo(m[1], 0.65);
  return null;
}

function todo(raw: string | undefined, confidence: number): Statement | null {
  const thing = object(raw?.replace(/\s+yet\s*[.!]?\s*$/i, ""), 12);
  if (!thing || thing.split(" ").length < 2) return null;
  return { canonical: thing, fields: { task: thing }, confidence };
}

/** "Next steps:" style headings whose bullet items are unfinished work. */
export const NEXT_STEPS_HEADING =
  /^\s*(?:#+\s*)?(?:\*\*)?(?:next steps|remaining work|still to do|not (?:yet )?done|left to do|todo|follow-?ups?|open questions|what'?s left)(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$/i;

export function bulletItem(line: string): string | null {
  const m = line.match(/^\s*(?:[-*•]|\d+[.)]|\[ \])\s+(.+)$/);
  return m ? m[1]!.trim() : null;
}

export function matchBulletTodo(item: string): Statement | null {
  return todo(item, 0.65);
}

/** The person says the last change worked. */
export function isFixConfirmation(sentence: string): boolean {
  const s = sentence.trim();
  if (
    /\b(?:not|n't|never|still|no longer)\b/i.test(s) &&
    !/\bno longer (?:fails|crashes|errors|happens)\b/i.test(s)
  ) {
    return false;
  }
  return /\b(?:(?:that|this|it|which|your change) (?:fixed|solved|resolved|did) (?:it|the trick|the problem|the issue)|(?:it|that|everything|build|the build|tests?|ci) (?:works|passes|pass|is green|are green|is passing|are passing) now|works now|working now|passing now|green now|problem (?:is )?(?:solved|gone|fixed)|fixed,? thanks|that did it|no longer (?:fails|crashes|errors|happens))\b/i.test(
    s,
  );
}

/**
 * The assistant states what the fix was ("the fix was ...", "fixed it by ...")
 * or, weaker, what the cause was ("the issue was ...").
 */
export function matchFixStatement(sentence: string): { fix: string; kind: "fix" | "cause" } | null {
  const s = sentence.trim();
  const fix = s.match(
    /\b(?:the (?:fix|solution) (?:was|is)|(?:this|that) (?:fixes|fixed|resolves|resolved) it by|fixed (?:it|this) by|resolved (?:it|this) by)\s*:?\s*(.+)$/i,
  );
  const cause = fix ? null : s.match(/\bthe (?:root cause|cause|problem|issue) (?:was|is)\s*:?\s*(.+)$/i);
  const m = fix ?? cause;
  if (!m) return null;
  const text = normalisePhrase(m[1]!.replace(/\s*[.!]\s*$/, ""));
  return text.split(" ").length >= 2 ? { fix: text, kind: fix ? "fix" : "cause" } : null;
}

/** A sentence of the assistant that describes a change it made (the likely fix). */
export function isChangeDescription(sentence: string): boolean {
  return /\b(?:I(?:'ve| have)? (?:changed|updated|added|fixed|replaced|removed|set|moved|switched|wrapped|increased|pinned|renamed|bumped|reverted)|(?:changed|updated|replaced|added|set|pinned|switched) .+ (?:to|so|in|from)\b|by (?:adding|setting|using|removing|changing|passing|moving|increasing|pinning))/i.test(
    sentence,
  );
}

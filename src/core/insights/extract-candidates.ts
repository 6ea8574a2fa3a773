/**
 * What one conversation turn says, as typed candidates: preferences,
 * decisions and unfinished work stated by the person, unfinished work the
 * assistant deferred, error signatures in tool output or pasted logs, and a
 * solution when the person confirms that the last change fixed a problem.
 */
import { findErrorSignatures } from "./error-signatures.js";
import {
  asFirstPerson,
  bulletItem,
  clauses,
  dropFiller,
  isChangeDescription,
  isFixConfirmation,
  matchAssistantTodo,
  matchBulletTodo,
  matchDecision,
  matchFixStatement,
  matchPreference,
  matchUserTodo,
  NEXT_STEPS_HEADING,
  type Statement,
} from "./statement-patterns.js";
import { clip, normalisePhrase, prose, sentences, stripCodeBlocks, tokenize } from "./text.js";
import { assistantProse } from "./turn-record.js";
import type { Candidate, DerivedType, TurnRecord } from "./types.js";

/** How many earlier turns of the session a fix confirmation looks back over. */
const LOOKBACK = 6;

/** The project's folder name, for memory texts. */
export function projectName(appId: string | null): string | null {
  if (!appId) return null;
  const parts = appId.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? appId;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function candidate(
  turn: TurnRecord,
  type: DerivedType,
  key: string,
  text: string,
  st: Pick<Statement, "fields" | "confidence">,
): Candidate {
  return {
    type,
    key,
    text,
    fields: st.fields,
    confidence: Math.round(st.confidence * 100) / 100,
    source_id: turn.id,
    app_id: turn.app_id,
    run_id: turn.run_id,
    at: turn.created_at,
  };
}

function scoped(turn: TurnRecord, label: string, body: string): string {
  const p = projectName(turn.app_id);
  return `${label}${p ? ` (${p})` : ""}: ${body}`;
}

/** Sentences cut into clauses, filler dropped: the units the statement patterns read. */
function statements(text: string): string[] {
  return sentences(text).flatMap((s) => clauses(dropFiller(s)));
}

function fromUserWords(turn: TurnRecord, out: Candidate[]): void {
  const app = turn.app_id ?? "-";
  for (const s of statements(prose(turn.user))) {
    const todo = matchUserTodo(s);
    if (todo) {
      out.push(
        candidate(turn, "todo", `todo:${app}:${todo.canonical}`, scoped(turn, "TODO", todo.canonical), todo),
      );
      continue;
    }
    const dec = matchDecision(s);
    if (dec) {
      out.push(
        candidate(
          turn,
          "decision",
          `decision:${app}:${dec.canonical}`,
          scoped(turn, "Decision", dec.canonical),
          dec,
        ),
      );
      continue;
    }
    const pref = matchPreference(s);
    if (pref) {
      out.push(
        candidate(
          turn,
          "preference",
          `preference:${pref.canonical}`,
          `Preference: ${capitalise(pref.canonical)}`,
          pref,
        ),
      );
    }
  }
}

/**
 * A note is a statement someone wrote down (or Claude stored with
 * `add_memory`), often about the person in the third person: read it with
 * the person's patterns, the assistant's deferred-work patterns too.
 */
function fromNote(turn: TurnRecord, out: Candidate[]): void {
  const app = turn.app_id ?? "-";
  for (const raw of statements(prose(turn.user))) {
    const s = asFirstPerson(raw);
    const todo = matchUserTodo(s) ?? matchAssistantTodo(s);
    if (todo) {
      out.push(
        candidate(turn, "todo", `todo:${app}:${todo.canonical}`, scoped(turn, "TODO", todo.canonical), todo),
      );
      continue;
    }
    fromUserWords({ ...turn, user: s }, out);
  }
}

/**
 * A note that states a fix ("Fixed ECONNREFUSED … : the database was not
 * started; the fix was …"): the fix, or null. The errors it names are the
 * problem it solved, not another occurrence.
 */
export function noteFix(text: string): string | null {
  const all = sentences(prose(text));
  for (const s of all) {
    const st = matchFixStatement(s);
    if (st?.kind === "fix") return st.fix;
  }
  const lead = all.findIndex((s) => /^(?:fixed|solved|resolved|fix|solution)\b\s*:?/i.test(s));
  if (lead >= 0) {
    // "Fixed X: <what was done>" — the part after the colon, and the sentences after it.
    const first = all[lead]!;
    const colon = first.indexOf(": ");
    const rest = [colon >= 0 ? first.slice(colon + 2) : "", ...all.slice(lead + 1)].join(" ").trim();
    if (rest.split(/\s+/).length >= 2) return normalisePhrase(rest);
  }
  for (const s of all) {
    const m = s.match(/\b(?:fixed|solved|resolved)\b.*?\b(?:by|with|via)\s+(.+)$/i);
    if (m && m[1]!.split(/\s+/).length >= 2) return normalisePhrase(m[1]!);
  }
  return null;
}

function noteErrors(turn: TurnRecord, out: Candidate[]): void {
  // One sentence a line, without the ";" the split leaves (a line ending in ";" reads as code).
  const text = sentences(prose(turn.user))
    .map((s) => s.replace(/;$/, ""))
    .join("\n");
  const sigs = findErrorSignatures(text, { prose: true });
  if (sigs.length === 0) return;
  const fix = noteFix(turn.user);
  for (const sig of sigs) {
    if (fix) {
      const problem = `error:${sig.key}`;
      const fixKey = tokenize(fix).slice(0, 6).join(" ");
      out.push(
        candidate(
          turn,
          "solution",
          `solution:${problem}|${fixKey}`,
          `Solution: ${sig.signature} — fixed by: ${clip(fix, 200)}`,
          {
            fields: { problem: sig.signature, problem_key: problem, fix: clip(fix, 200) },
            confidence: 0.75,
          },
        ),
      );
      continue;
    }
    out.push(
      candidate(turn, "error", `error:${sig.key}`, `Error: ${sig.signature}`, {
        fields: { signature: sig.signature, name: sig.name, example: sig.example },
        confidence: 0.65,
      }),
    );
  }
}

function fromAssistant(turn: TurnRecord, out: Candidate[]): void {
  const app = turn.app_id ?? "-";
  const text = prose(assistantProse(turn.assistant));
  const push = (st: Statement | null) => {
    if (st)
      out.push(
        candidate(turn, "todo", `todo:${app}:${st.canonical}`, scoped(turn, "TODO", st.canonical), st),
      );
  };
  let inList = false;
  let taken = 0;
  for (const line of text.split("\n")) {
    if (NEXT_STEPS_HEADING.test(line)) {
      inList = true;
      taken = 0;
      continue;
    }
    if (inList) {
      const item = bulletItem(line);
      if (item && taken < 5) {
        push(matchBulletTodo(item));
        taken++;
        continue;
      }
      if (line.trim() === "") continue;
      inList = false;
    }
    for (const s of statements(line)) push(matchAssistantTodo(s));
  }
}

function fromErrors(turn: TurnRecord, out: Candidate[]): void {
  for (const sig of findErrorSignatures(`${turn.tool_results}\n${turn.user}`)) {
    out.push(
      candidate(turn, "error", `error:${sig.key}`, `Error: ${sig.signature}`, {
        fields: { signature: sig.signature, name: sig.name, example: sig.example },
        confidence: 0.7,
      }),
    );
  }
}

/**
 * What fixed it: an explicit "the fix was ..." first, else the first sentence
 * describing a change (with the sentence before when it says "it" or "both"),
 * else a stated cause.
 */
function describeFix(previous: readonly TurnRecord[], turn: TurnRecord): string | null {
  const replies = [turn, ...[...previous].reverse()].map((t) =>
    sentences(prose(assistantProse(t.assistant))),
  );
  const statements = replies.flatMap((r) => r.map(matchFixStatement)).filter((f) => f !== null);
  const explicit = statements.find((f) => f.kind === "fix");
  if (explicit) return explicit.fix;
  for (const all of replies.slice(1)) {
    const at = all.findIndex(isChangeDescription);
    if (at < 0) continue;
    const s = all[at]!;
    const before = at > 0 && /\b(?:both|it|them|this|that|these|those)\b/i.test(s) ? `${all[at - 1]} ` : "";
    return normalisePhrase(`${before}${s}`);
  }
  return statements[0]?.fix ?? null;
}

/** The problem: the latest error signature in the session before the confirmation, else the person's ask. */
function describeProblem(previous: readonly TurnRecord[]): { problem: string; key: string } | null {
  for (const t of [...previous].reverse()) {
    const sig = findErrorSignatures(`${t.tool_results}\n${t.user}`).at(-1);
    if (sig) return { problem: sig.signature, key: `error:${sig.key}` };
  }
  for (const t of [...previous].reverse()) {
    const s = sentences(prose(t.user))[0];
    if (s) return { problem: clip(normalisePhrase(s), 100), key: `ask:${tokenize(s).slice(0, 8).join(" ")}` };
  }
  return null;
}

function fromFixConfirmation(turn: TurnRecord, previous: readonly TurnRecord[], out: Candidate[]): void {
  const userSentences = sentences(prose(turn.user));
  // Confirmed by the person afterwards, or within one episode: a failed call, the same kind of call
  // succeeding, and an answer (the problem is then this episode's own error).
  const confirmed = userSentences.some(isFixConfirmation);
  if (!confirmed && !turn.recovered) return;
  const recent = confirmed ? previous.slice(-LOOKBACK) : [...previous.slice(-LOOKBACK), turn];
  const fix = confirmed ? describeFix(recent, turn) : describeFix([], turn);
  const problem = describeProblem(recent);
  if (!fix || !problem) return;
  const fixKey = tokenize(fix).slice(0, 6).join(" ");
  const fields: Record<string, string> = {
    problem: problem.problem,
    problem_key: problem.key,
    fix: clip(fix, 200),
  };
  out.push(
    candidate(
      turn,
      "solution",
      `solution:${problem.key}|${fixKey}`,
      `Solution: ${problem.problem} — fixed by: ${clip(fix, 200)}`,
      { fields, confidence: problem.key.startsWith("error:") ? 0.8 : 0.65 },
    ),
  );
}

/**
 * Candidates in one turn. `previous` holds the earlier turns of the same
 * session, oldest first (the fix confirmation looks at them).
 */
export function extractCandidates(turn: TurnRecord, previous: readonly TurnRecord[] = []): Candidate[] {
  const out: Candidate[] = [];
  if (turn.kind === "note") {
    fromNote(turn, out);
    fromAssistant(turn, out);
    noteErrors(turn, out);
  } else {
    fromUserWords(turn, out);
    fromAssistant(turn, out);
    fromErrors(turn, out);
  }
  fromFixConfirmation(turn, previous, out);
  const seen = new Set<string>();
  return out.filter((c) => !seen.has(c.key) && seen.add(c.key));
}

/** Completion sentences in a turn ("added X", "X is done"), used to close open todos. */
export function completionSentences(turn: TurnRecord): string[] {
  const text = `${prose(turn.user)}\n${prose(assistantProse(turn.assistant))}`;
  return sentences(stripCodeBlocks(text)).filter((s) =>
    /\b(?:done|implemented|added|finished|completed|wired up|in place|now (?:supports?|handles?|has)|merged|shipped|landed)\b/i.test(
      s,
    ),
  );
}

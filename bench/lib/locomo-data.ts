/**
 * Reads a LoCoMo file (snap-research/LoCoMo `data/locomo10.json` format) into
 * turns and questions. Any file in that format works: sessions are found by
 * their `session_N` keys, dates parsed from `session_N_date_time`, and the
 * evidence ids normalised (`"D8:6; D9:17"` → two ids, `"D:11:26"` → `D11:26`,
 * `"D30:05"` → `D30:5`; ids with no turn number are dropped).
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LocomoTurn {
  diaId: string;
  speaker: string;
  text: string;
  /** BLIP caption of an image the speaker shared, if any. */
  imageCaption: string | null;
  /** 1-based session number. */
  session: number;
  /** Position within its session, from 0. */
  index: number;
  /** Session start, ISO-8601 UTC. */
  sessionDate: string;
}

export interface LocomoQuestion {
  question: string;
  answer: string;
  category: string;
  /** Normalised dia_ids; may be empty (such questions are not scored). */
  evidence: string[];
}

export interface LocomoConversation {
  id: string;
  turns: LocomoTurn[];
  questions: LocomoQuestion[];
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** "1:56 pm on 8 May, 2023" → ISO-8601 UTC; other shapes through Date.parse; null if neither reads it. */
export function parseSessionDate(text: string): string | null {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([a-z]+),?\s+(\d{4})/i.exec(text);
  if (m) {
    const [, h, min, ampm, day, monthName, year] = m;
    const month = MONTHS.findIndex((name) => name.startsWith((monthName ?? "").toLowerCase().slice(0, 3)));
    if (month >= 0) {
      const hour = (Number(h) % 12) + ((ampm ?? "").toLowerCase() === "pm" ? 12 : 0);
      return new Date(Date.UTC(Number(year), month, Number(day), hour, Number(min))).toISOString();
    }
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}

/** One evidence string → zero or more canonical dia_ids (`D<session>:<turn>`). */
export function normaliseEvidence(raw: unknown): string[] {
  if (typeof raw !== "string" && typeof raw !== "number") return [];
  const out: string[] = [];
  for (const part of String(raw).split(/[;,\s]+/)) {
    const m = /^D:?(\d+):0*(\d+)$/i.exec(part.trim());
    if (m) out.push(`D${Number(m[1])}:${Number(m[2])}`);
  }
  return out;
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`LoCoMo file: ${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function turnsOf(conversation: Record<string, unknown>, sampleId: string): LocomoTurn[] {
  const sessions = Object.keys(conversation)
    .map((key) => /^session_(\d+)$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null && Array.isArray(conversation[m[0]]))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const turns: LocomoTurn[] = [];
  let lastDate = Date.UTC(2000, 0, 1);
  for (const session of sessions) {
    const rawDate = conversation[`session_${session}_date_time`];
    const parsed = typeof rawDate === "string" ? parseSessionDate(rawDate) : null;
    // An unreadable date: one day after the previous session, so the order still holds.
    const sessionDate = parsed ?? new Date(lastDate + 86_400_000).toISOString();
    lastDate = Date.parse(sessionDate);
    const list = conversation[`session_${session}`] as unknown[];
    list.forEach((item, index) => {
      const turn = asRecord(item, `${sampleId} session_${session}[${index}]`);
      const diaId = normaliseEvidence(turn.dia_id)[0] ?? `D${session}:${index + 1}`;
      turns.push({
        diaId,
        speaker: typeof turn.speaker === "string" ? turn.speaker : "",
        text: typeof turn.text === "string" ? turn.text : "",
        imageCaption: typeof turn.blip_caption === "string" ? turn.blip_caption : null,
        session,
        index,
        sessionDate,
      });
    });
  }
  return turns;
}

export function parseLocomo(json: unknown): LocomoConversation[] {
  if (!Array.isArray(json)) throw new Error("LoCoMo file: expected a JSON list of conversations");
  return json.map((item, i) => {
    const sample = asRecord(item, `item ${i}`);
    const id = typeof sample.sample_id === "string" ? sample.sample_id : `conversation-${i + 1}`;
    const turns = turnsOf(asRecord(sample.conversation, `${id}.conversation`), id);
    const qa = Array.isArray(sample.qa) ? sample.qa : [];
    const questions = qa.map((raw, j) => {
      const q = asRecord(raw, `${id}.qa[${j}]`);
      const evidence = Array.isArray(q.evidence) ? q.evidence.flatMap(normaliseEvidence) : [];
      return {
        question: typeof q.question === "string" ? q.question : "",
        answer: String(q.answer ?? q.adversarial_answer ?? ""),
        category: String(q.category ?? "?"),
        evidence: [...new Set(evidence)],
      };
    });
    return { id, turns, questions };
  });
}

export function loadLocomo(path: string): LocomoConversation[] {
  return parseLocomo(JSON.parse(readFileSync(path, "utf8")));
}

/**
 * The development split: in the shared folder next to the repository root
 * (the data's licence keeps it out of the repository), as CI has it.
 */
export function defaultLocomoPath(): string {
  // bench/lib/locomo-data.ts, or dist-bench/bench/lib/locomo-data.js once compiled.
  const twoUp = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const root = basename(twoUp) === "dist-bench" ? dirname(twoUp) : twoUp;
  return join(root, "..", "shared", "bench", "locomo", "locomo-dev.json");
}

/** What to tell a person whose machine has no LoCoMo file (bench:locomo and the guard test). */
export function missingLocomoMessage(path: string): string {
  return (
    `LoCoMo data not found at ${path}. It is not in this repository (CC BY-NC 4.0): take data/locomo10.json ` +
    "from github.com/snap-research/LoCoMo (the development split is conv-26, conv-30, conv-41, conv-42, conv-43) " +
    "and pass --data PATH or set LOCOMO_DEV_PATH; by default it is read from ../shared/bench/locomo/locomo-dev.json " +
    "next to the repository."
  );
}

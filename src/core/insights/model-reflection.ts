/**
 * The optional model-written reflection, pure parts: the prompt (the selected
 * turns and derived memories, with their ids) and the validation of the
 * model's JSON answer against the same insight schema the offline analyser
 * produces. Any answer that fails validation is rejected; the caller then
 * falls back to the offline analysis.
 */
import { z } from "zod";
import { projectName } from "./extract-candidates.js";
import { clip } from "./text.js";
import type { DerivedRecord, Insight, TurnRecord } from "./types.js";

const KINDS = [
  "topic",
  "topic_shift",
  "recurring_problem",
  "preference",
  "decision",
  "unfinished_work",
  "project_activity",
] as const;

/** What the model must answer. */
export function modelAnswerSchema(allowedIds: ReadonlySet<string>) {
  const id = z
    .string()
    .refine((v) => allowedIds.has(v), { message: "cites a memory id that was not in the input" });
  return z.object({
    insights: z
      .array(
        z.object({
          kind: z.enum(KINDS),
          title: z.string().trim().min(1).max(200),
          description: z.string().trim().min(1).max(1000),
          confidence: z.number().min(0).max(1),
          counts: z.record(z.string(), z.number().int().min(0)).default({}),
          memory_ids: z.array(id).min(1).max(50),
        }),
      )
      .min(1)
      .max(40),
  });
}

/** Per-turn and total bounds on what is sent. */
export const PROMPT_LIMITS = { turnChars: 1500, totalChars: 60_000, derived: 60 } as const;

export const REFLECTION_SYSTEM = `You analyse a developer's past conversations with a coding assistant (Claude Code) and report what is true and useful about their work, with evidence.
Answer with one JSON object and nothing else, of this shape:
{"insights":[{"kind":"topic|topic_shift|recurring_problem|preference|decision|unfinished_work|project_activity","title":"short headline","description":"one or two sentences a person can act on","confidence":0.0-1.0,"counts":{"name":integer},"memory_ids":["ids of the turns or memories it rests on"]}]}
Kinds: main topics and how they shifted over time; recurring problems and whether they were solved; preferences and decisions the person stated (note any that were later contradicted); unfinished work; activity per project.
Cite only ids that appear in the input. Do not invent facts; when unsure, lower the confidence. At most 40 insights.`;

/** The user message: the turns (oldest first) and the derived memories, each with its id. */
export function buildReflectionPrompt(
  turns: readonly TurnRecord[],
  derived: readonly DerivedRecord[],
): string {
  const parts: string[] = [];
  let budget: number = PROMPT_LIMITS.totalChars;
  const memories = derived.slice(0, PROMPT_LIMITS.derived).map((d) => {
    const seen = `${d.meta.count}x, last ${d.meta.last_seen.slice(0, 10)}`;
    return `<memory id="${d.id}" type="${d.meta.type}" seen="${seen}">${clip(d.text, 300)}</memory>`;
  });
  const memBlock =
    memories.length > 0 ? `<derived_memories>\n${memories.join("\n")}\n</derived_memories>` : "";
  budget -= memBlock.length;
  // Newest turns are kept when the budget runs out; they are printed oldest first.
  const kept: string[] = [];
  for (const t of [...turns].reverse()) {
    const body = [
      t.user && `User: ${t.user}`,
      t.tool_results && `Tool output: ${t.tool_results}`,
      `Assistant: ${t.assistant}`,
    ]
      .filter(Boolean)
      .join("\n");
    const project = projectName(t.app_id) ?? "none";
    const block = `<turn id="${t.id}" time="${t.created_at}" project="${project}" session="${t.run_id ?? "none"}">\n${clip(body, PROMPT_LIMITS.turnChars)}\n</turn>`;
    if (block.length > budget) break;
    budget -= block.length;
    kept.push(block);
  }
  parts.push(`<turns count="${kept.length}">\n${kept.reverse().join("\n")}\n</turns>`);
  if (memBlock) parts.push(memBlock);
  parts.push("Return the JSON object now.");
  return parts.join("\n\n");
}

/** The JSON object inside a reply (bare, or in a ```json fence). */
export function jsonOf(text: string): unknown {
  const fenced = text.match(/```(?:json)?\s*\n([\s\S]*?)\n```/);
  const body = fenced ? fenced[1]! : text;
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start < 0 || end <= start) throw new Error("the reply holds no JSON object");
  return JSON.parse(body.slice(start, end + 1));
}

export type ParsedModelAnswer = { ok: true; insights: Insight[] } | { ok: false; reason: string };

/** Validates a reply; the reason on failure names the problem, never the content. */
export function parseModelAnswer(text: string, allowedIds: ReadonlySet<string>): ParsedModelAnswer {
  let raw: unknown;
  try {
    raw = jsonOf(text);
  } catch (e) {
    return {
      ok: false,
      reason: e instanceof SyntaxError ? "the reply is not valid JSON" : (e as Error).message,
    };
  }
  const parsed = modelAnswerSchema(allowedIds).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      reason: `the reply does not match the schema (${first?.path.join(".")}: ${first?.message})`,
    };
  }
  return {
    ok: true,
    insights: parsed.data.insights.map((i) => ({ ...i, memory_ids: [...new Set(i.memory_ids)] })),
  };
}

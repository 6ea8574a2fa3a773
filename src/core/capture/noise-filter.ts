/**
 * Which exchanges are conversation turns worth remembering. Everything else
 * (probes, token counting, model lists, Claude Code's own side requests:
 * session titles, topic detection, command-prefix checks, summaries) is
 * forwarded but never stored. Matching is on content markers, never on the
 * model name. The rules are listed in docs/capture-rules.md.
 */
import type { CapturedExchange } from "./exchange.js";
import { isObject } from "./message-accumulator.js";
import { latestUserContent, parseRequestBody, type RequestBody, systemTexts } from "./request-body.js";

export interface SideRequestMarker {
  /** Why a match is skipped, e.g. `side request: session title`. */
  reason: string;
  /** Where to look: the system text, the latest user message's text, or both. */
  in: "system" | "user" | "any";
  /** Case-insensitive substring. */
  text: string;
}

export interface NoiseRules {
  /** Methods that can carry a turn. */
  methods: string[];
  /** A path (query removed) must end with one of these. */
  pathSuffixes: string[];
  /** Requests with `max_tokens` at or below this are probes. */
  probeMaxTokens: number;
  /** Skip requests with no tools whose structured output schema has a `title` property. */
  titleSchema: boolean;
  markers: SideRequestMarker[];
}

const TITLE = "side request: session title";
const TOPIC = "side request: topic detection";
const PREFIX = "side request: command prefix check";
const SUMMARY = "side request: conversation summary";
const PATHS = "side request: file path extraction";

export const DEFAULT_NOISE_RULES: NoiseRules = {
  methods: ["POST"],
  pathSuffixes: ["/v1/messages"],
  probeMaxTokens: 1,
  titleSchema: true,
  markers: [
    { reason: TITLE, in: "system", text: "Generate a concise, sentence-case title" },
    { reason: TITLE, in: "system", text: "You are naming a coding session" },
    { reason: TOPIC, in: "system", text: "isNewTopic" },
    { reason: TOPIC, in: "system", text: "Analyze if this message indicates a new conversation topic" },
    { reason: PREFIX, in: "any", text: "<policy_spec>" },
    { reason: PREFIX, in: "system", text: "command prefix" },
    { reason: PREFIX, in: "system", text: "process Bash commands that an AI coding agent wants to run" },
    { reason: PATHS, in: "system", text: "Extract any file paths that this command reads or modifies" },
    { reason: SUMMARY, in: "system", text: "summarize this conversation" },
    { reason: SUMMARY, in: "system", text: "tasked with summarizing conversations" },
    {
      reason: SUMMARY,
      in: "user",
      text: "Your task is to create a detailed summary of the conversation so far",
    },
  ],
};

/** The defaults with some fields replaced (`markers` replaces the whole list). */
export function defineNoiseRules(overrides: Partial<NoiseRules> = {}): NoiseRules {
  return { ...DEFAULT_NOISE_RULES, ...overrides };
}

export type Classification = { capture: true } | { capture: false; reason: string };

function pathOnly(path: string): string {
  const q = path.indexOf("?");
  const p = q === -1 ? path : path.slice(0, q);
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** The checks that need only the method and path. */
export function classifyRoute(
  ex: Pick<CapturedExchange, "method" | "path">,
  rules: NoiseRules,
): Classification {
  const method = typeof ex.method === "string" ? ex.method.toUpperCase() : "";
  const path = pathOnly(typeof ex.path === "string" ? ex.path : "");
  if (!rules.methods.includes(method)) return { capture: false, reason: `method ${method} is not captured` };
  if (!rules.pathSuffixes.some((s) => path.endsWith(s))) {
    return { capture: false, reason: `path ${path.slice(0, 200)} is not a Messages API call` };
  }
  return { capture: true };
}

function hasTitleSchema(body: RequestBody): boolean {
  const tools = body.tools;
  if (tools !== undefined && !(Array.isArray(tools) && tools.length === 0)) return false;
  const formats = [isObject(body.output_config) ? body.output_config.format : undefined, body.output_format];
  return formats.some(
    (f) =>
      isObject(f) && isObject(f.schema) && isObject(f.schema.properties) && "title" in f.schema.properties,
  );
}

function userText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b) => (isObject(b) && typeof b.text === "string" ? b.text : "")).join("\n");
}

/** The checks on a parsed body. */
export function classifyBody(body: RequestBody, rules: NoiseRules): Classification {
  const maxTokens = body.max_tokens;
  if (typeof maxTokens === "number" && maxTokens <= rules.probeMaxTokens) {
    return { capture: false, reason: `probe (max_tokens ${maxTokens})` };
  }
  if (rules.titleSchema && hasTitleSchema(body)) return { capture: false, reason: TITLE };
  if (rules.markers.length === 0) return { capture: true };
  const system = systemTexts(body).join("\n").toLowerCase();
  const user = userText(latestUserContent(body)).toLowerCase();
  for (const m of rules.markers) {
    const needle = m.text.toLowerCase();
    if (needle === "") continue;
    if ((m.in !== "user" && system.includes(needle)) || (m.in !== "system" && user.includes(needle))) {
      return { capture: false, reason: m.reason };
    }
  }
  return { capture: true };
}

/** Whether an exchange is a conversation turn to capture; if not, why. Never throws. */
export function classifyRequest(
  ex: CapturedExchange,
  rules: NoiseRules = DEFAULT_NOISE_RULES,
): Classification {
  const route = classifyRoute(ex, rules);
  if (!route.capture) return route;
  const body = parseRequestBody(ex.requestBody);
  if (!body) return { capture: false, reason: "malformed request" };
  return classifyBody(body, rules);
}

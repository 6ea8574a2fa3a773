/**
 * Who/where fields of a turn, read from the request: the session (run_id),
 * the project (app_id) and the client name. Headers are read, never kept.
 */
import { isObject } from "./message-accumulator.js";
import { type RequestBody, systemTexts } from "./request-body.js";

const MAX_ID_CHARS = 200;
const MAX_PATH_CHARS = 1024;

function cleanId(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" || t.length > MAX_ID_CHARS ? null : t;
}

/** A header's value when the headers are a proper object with a string there, else null. */
export function headerValue(headers: unknown, name: string): string | null {
  if (!isObject(headers)) return null;
  const v = headers[name];
  return typeof v === "string" ? v : null;
}

/**
 * The session: the `x-claude-code-session-id` header, else `session_id`
 * inside `metadata.user_id` (a JSON string in current Claude Code; older
 * clients send `user_<device>_account_<uuid>_session_<uuid>`).
 */
export function sessionId(headers: unknown, body: RequestBody): string | null {
  const header = cleanId(headerValue(headers, "x-claude-code-session-id"));
  if (header) return header;
  const meta = body.metadata;
  const userId = isObject(meta) ? meta.user_id : undefined;
  if (typeof userId !== "string") return null;
  if (userId.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(userId);
      return isObject(parsed) ? cleanId(parsed.session_id) : null;
    } catch {
      return null;
    }
  }
  const m = /_session_([A-Za-z0-9-]{1,100})$/.exec(userId);
  return m?.[1] ?? null;
}

const WORKING_DIRECTORY = [
  /(?:^|\n)[ \t]*(?:-[ \t]*)?Primary working directory[ \t]*:[ \t]*([^\r\n]{1,1024})/,
  /(?:^|\n)[ \t]*(?:-[ \t]*)?(?:Current working directory|Working directory|cwd)[ \t]*:[ \t]*([^\r\n]{1,1024})/,
];

/** The project: the working directory the system prompt names, else null. */
export function workingDirectory(body: RequestBody): string | null {
  const texts = systemTexts(body);
  for (const pattern of WORKING_DIRECTORY) {
    for (const text of texts) {
      const dir = pattern.exec(text)?.[1]?.trim();
      if (dir && dir.length <= MAX_PATH_CHARS) return dir;
    }
  }
  return null;
}

/** `claude-cli/2.1.197` out of `claude-cli/2.1.197 (external, cli)`. */
export function clientName(headers: unknown): string | null {
  const ua = headerValue(headers, "user-agent")?.trim();
  if (!ua) return null;
  const first = ua.split(/\s/, 1)[0] ?? "";
  return first === "" ? null : first.slice(0, 100);
}

/**
 * What the Messages API rejects with 400 invalid_request_error, as the stub
 * checks it. Messages name the offending field the way the API does
 * (`messages.0.role: ...`). Returns null when the request is acceptable.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const BLOCK_TYPES = new Set([
  "text",
  "image",
  "document",
  "search_result",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
]);

function checkBlock(b: unknown, at: string): string | null {
  if (!isObj(b)) return `${at}: Input should be a valid dictionary`;
  const type = b.type;
  if (typeof type !== "string" || !BLOCK_TYPES.has(type)) {
    return `${at}.type: Input tag '${String(type)}' found using 'type' does not match any of the expected tags`;
  }
  switch (type) {
    case "text":
      if (typeof b.text !== "string") return `${at}.text: Field required`;
      if (b.text === "") return `${at}: text content blocks must be non-empty`;
      return null;
    case "tool_use":
    case "server_tool_use":
      if (typeof b.id !== "string" || b.id === "") return `${at}.id: Field required`;
      if (typeof b.name !== "string" || b.name === "") return `${at}.name: Field required`;
      if (!isObj(b.input)) return `${at}.input: Input should be a valid dictionary`;
      return null;
    case "tool_result":
      if (typeof b.tool_use_id !== "string") return `${at}.tool_use_id: Field required`;
      if (b.content !== undefined && typeof b.content !== "string" && !Array.isArray(b.content)) {
        return `${at}.content: Input should be a valid string or list`;
      }
      if (Array.isArray(b.content)) {
        for (let i = 0; i < b.content.length; i++) {
          const e = checkBlock(b.content[i], `${at}.content.${i}`);
          if (e) return e;
        }
      }
      return null;
    case "thinking":
      if (typeof b.thinking !== "string") return `${at}.thinking: Field required`;
      if (typeof b.signature !== "string") return `${at}.signature: Field required`;
      return null;
    case "redacted_thinking":
      return typeof b.data === "string" ? null : `${at}.data: Field required`;
    case "image":
    case "document":
      return isObj(b.source) ? null : `${at}.source: Field required`;
    default:
      return null;
  }
}

function checkContent(content: unknown, at: string, role: string): string | null {
  if (typeof content === "string") {
    return content === "" && role !== "assistant"
      ? `${at}: ${role} messages must have non-empty content`
      : null;
  }
  if (!Array.isArray(content)) return `${at}.content: Input should be a valid string or list`;
  for (let i = 0; i < content.length; i++) {
    const e = checkBlock(content[i], `${at}.content.${i}`);
    if (e) return e;
  }
  return null;
}

function blocksOf(m: Obj, type: string): Obj[] {
  return Array.isArray(m.content) ? (m.content.filter((b) => isObj(b) && b.type === type) as Obj[]) : [];
}

function checkToolPairing(messages: Obj[]): string | null {
  const convo = messages.map((m, i) => ({ m, i })).filter(({ m }) => m.role !== "system");
  for (let k = 0; k < convo.length; k++) {
    const { m, i } = convo[k] as { m: Obj; i: number };
    const prev = k > 0 ? (convo[k - 1] as { m: Obj }).m : null;
    const results = blocksOf(m, "tool_result");
    if (results.length > 0) {
      const ids = new Set(prev?.role === "assistant" ? blocksOf(prev, "tool_use").map((b) => b.id) : []);
      const stray = results.find((r) => !ids.has(r.tool_use_id));
      if (stray) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(stray.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const next = convo[k + 1];
    if (m.role === "assistant" && next) {
      const answered = new Set(blocksOf(next.m, "tool_result").map((b) => b.tool_use_id));
      const missing = blocksOf(m, "tool_use").filter((b) => !answered.has(b.id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map((b) => String(b.id)).join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
  }
  return null;
}

function checkThinking(thinking: unknown, maxTokens: unknown): string | null {
  if (thinking === undefined) return null;
  if (!isObj(thinking)) return "thinking: Input should be a valid dictionary";
  if (thinking.type === "disabled" || thinking.type === "adaptive") return null;
  if (thinking.type !== "enabled") {
    return `thinking.type: Input tag '${String(thinking.type)}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`;
  }
  const budget = thinking.budget_tokens;
  if (typeof budget !== "number" || !Number.isInteger(budget))
    return "thinking.enabled.budget_tokens: Field required";
  if (budget < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
  if (typeof maxTokens === "number" && budget >= maxTokens)
    return "`max_tokens` must be greater than `thinking.budget_tokens`";
  return null;
}

function checkTools(tools: unknown): string | null {
  if (tools === undefined) return null;
  if (!Array.isArray(tools)) return "tools: Input should be a valid list";
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i];
    if (!isObj(t)) return `tools.${i}: Input should be a valid dictionary`;
    if (typeof t.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) {
      return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    }
    if (t.type === undefined || t.type === "custom") {
      if (!isObj(t.input_schema)) return `tools.${i}.custom.input_schema: Field required`;
    }
  }
  return null;
}

export function validateMessagesRequest(
  body: unknown,
  o: { countTokens: boolean; betas: string },
): string | null {
  if (!isObj(body)) return "Input should be a valid dictionary";
  if (typeof body.model !== "string" || body.model === "") return "model: Field required";
  if (!o.countTokens) {
    const mt = body.max_tokens;
    if (mt === undefined) return "max_tokens: Field required";
    if (typeof mt !== "number" || !Number.isInteger(mt)) return "max_tokens: Input should be a valid integer";
    if (mt < 1) return "max_tokens: Input should be greater than or equal to 1";
  }
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (body.messages.length === 0) return "messages: List should have at least 1 item after validation, not 0";
  const midSystem = o.betas.includes("mid-conversation-system");
  let firstRole: unknown;
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    const at = `messages.${i}`;
    if (!isObj(m)) return `${at}: Input should be a valid dictionary`;
    const allowed = midSystem ? ["user", "assistant", "system"] : ["user", "assistant"];
    if (typeof m.role !== "string" || !allowed.includes(m.role)) {
      return `${at}.role: Input should be ${allowed.map((r) => `'${r}'`).join(" or ")}`;
    }
    if (m.content === undefined) return `${at}.content: Field required`;
    const e = checkContent(m.content, at, m.role);
    if (e) return e;
    if (m.role !== "system") firstRole ??= m.role;
  }
  if (firstRole !== "user") return 'messages: first message must use the "user" role';
  const pairing = checkToolPairing(body.messages as Obj[]);
  if (pairing) return pairing;
  if (body.system !== undefined) {
    if (Array.isArray(body.system)) {
      for (let i = 0; i < body.system.length; i++) {
        const b = body.system[i];
        if (!isObj(b) || b.type !== "text" || typeof b.text !== "string")
          return `system.${i}: Input should be a text block`;
      }
    } else if (typeof body.system !== "string") return "system: Input should be a valid string or list";
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean")
    return "stream: Input should be a valid boolean";
  if (body.temperature !== undefined) {
    const t = body.temperature;
    if (typeof t !== "number" || t < 0 || t > 1) return "temperature: Input should be between 0 and 1";
  }
  if (body.metadata !== undefined) {
    if (!isObj(body.metadata)) return "metadata: Input should be a valid dictionary";
    if (body.metadata.user_id !== undefined && typeof body.metadata.user_id !== "string") {
      return "metadata.user_id: Input should be a valid string";
    }
  }
  return checkThinking(body.thinking, body.max_tokens) ?? checkTools(body.tools);
}

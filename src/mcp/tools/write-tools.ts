import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { InvalidInputError } from "../../core/errors.js";
import type { ChatMessage } from "../../core/types.js";
import { renderMemory } from "../render.js";
import {
  categoriesInput,
  LIMITS,
  memoryIdInput,
  memoryOutput,
  metadataInput,
  scopeIdInput,
  toMemoryOutput,
  userIdInput,
} from "../schemas.js";
import {
  guarded,
  memoryCount,
  ok,
  ownedMemory,
  requireKnownUser,
  type ToolDeps,
  userOrDefault,
} from "./tool-kit.js";

const memoryText = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(
      LIMITS.memoryChars,
      `${field} is at most ${LIMITS.memoryChars} characters; store the essential fact only`,
    );

const messageInput = z.object({
  role: z.enum(["user", "assistant", "system"], { error: "role must be user, assistant or system" }),
  content: memoryText("content"),
});

const redactInput = z
  .boolean({ error: "redact must be true or false" })
  .optional()
  .describe(
    "Default true: keys, tokens, passwords and other secrets become [REDACTED:type]. " +
      "false stores the text exactly as given; only when the user explicitly wants a secret remembered",
  );

/**
 * The redaction rules, loaded on the first write (not before the server answers `initialize`:
 * they are a few hundred patterns, and most sessions only read).
 */
const redaction = () => import("../../core/capture/redaction-report.js");

/** " (2 secrets redacted (api_key, password); pass redact: false to keep them)", or "". */
async function redactionNote(redacted: readonly string[]): Promise<string> {
  if (redacted.length === 0) return "";
  return ` (${(await redaction()).describeRedactions(redacted)}; pass redact: false to keep them)`;
}

/** Messages become one memory: a "role: content" line each. */
export function messagesToText(messages: ChatMessage[]): string {
  return messages.map((m) => `${m.role}: ${m.content}`).join("\n");
}

export function registerWriteTools(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    "add_memory",
    {
      title: "Add a memory",
      description:
        "Remember something for later: a stated preference, a decision, a solution that worked, a fact about the project. " +
        "Pass `text` (one self-contained statement) or `messages` (an exchange to remember). The same text is never stored twice.",
      inputSchema: {
        text: memoryText("text").optional().describe("The fact to remember, self-contained"),
        messages: z
          .array(messageInput)
          .min(1, "messages must hold at least one message")
          .max(LIMITS.messages, `at most ${LIMITS.messages} messages`)
          .optional()
          .describe("Alternatively, the exchange to remember"),
        user_id: userIdInput.optional().describe("Whose memory (default: the configured user)"),
        agent_id: scopeIdInput("agent_id").optional(),
        app_id: scopeIdInput("app_id")
          .optional()
          .describe("Project (default: the client's root or the configured one)"),
        run_id: scopeIdInput("run_id").optional().describe("Session id"),
        metadata: metadataInput.optional(),
        categories: categoriesInput.optional(),
        redact: redactInput,
      },
      outputSchema: {
        status: z.enum(["created", "duplicate", "pending"]),
        memory: memoryOutput.nullable(),
        event_id: z.string().optional(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args) =>
      guarded(deps, "add_memory", async () => {
        if ((args.text === undefined) === (args.messages === undefined)) {
          throw new InvalidInputError("pass exactly one of `text` or `messages`");
        }
        const keep = args.redact === false;
        const { redactMemoryText } = await redaction();
        const messages = args.messages?.map((m) => ({
          ...m,
          content: redactMemoryText(m.content, { keep }).text,
        }));
        const { text: memory, redacted } = redactMemoryText(
          args.text ?? messagesToText(args.messages ?? []),
          { keep },
        );
        if (memory.length > LIMITS.memoryChars) {
          throw new InvalidInputError(
            `the messages add up to more than ${LIMITS.memoryChars} characters; send fewer`,
          );
        }
        const result = await deps.store.add({
          memory,
          messages,
          user_id: userOrDefault(deps, args.user_id, "write"),
          agent_id: args.agent_id ?? deps.config.defaultAgentId,
          app_id: args.app_id ?? (await deps.project.current()),
          run_id: args.run_id,
          metadata: args.metadata,
          categories: args.categories,
        });
        const out = result.memory ? toMemoryOutput(result.memory) : null;
        let text: string;
        if (result.status === "created") text = `Stored memory ${out?.id}${await redactionNote(redacted)}.`;
        else if (result.status === "duplicate")
          text = `Already remembered as memory ${out?.id}; nothing added.`;
        else text = `Accepted; the backend is processing it (event ${result.event_id ?? "unknown"}).`;
        return ok(text, {
          status: result.status,
          memory: out,
          ...(result.event_id !== undefined && { event_id: result.event_id }),
        });
      }),
  );

  server.registerTool(
    "update_memory",
    {
      title: "Update a memory",
      description:
        "Correct or replace a memory's text, metadata or categories (the old text stays in memory_history).",
      inputSchema: {
        memory_id: memoryIdInput,
        text: memoryText("text").optional().describe("The new text"),
        metadata: metadataInput.optional().describe("Replaces the metadata object"),
        categories: categoriesInput.optional().describe("Replaces the categories"),
        user_id: userIdInput.optional().describe("Owner (default: the configured user)"),
        redact: redactInput,
      },
      outputSchema: { memory: memoryOutput },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ memory_id, text, metadata, categories, user_id, redact }) =>
      guarded(deps, "update_memory", async () => {
        if (text === undefined && metadata === undefined && categories === undefined) {
          throw new InvalidInputError("pass at least one of `text`, `metadata` or `categories` to change");
        }
        await ownedMemory(deps, memory_id, userOrDefault(deps, user_id, "write"));
        const next =
          text === undefined
            ? undefined
            : (await redaction()).redactMemoryText(text, { keep: redact === false });
        const memory = toMemoryOutput(
          await deps.store.update(memory_id, { memory: next?.text, metadata, categories }),
        );
        return ok(
          `Updated memory ${memory.id}${await redactionNote(next?.redacted ?? [])}:\n${renderMemory(memory)}`,
          {
            memory,
          },
        );
      }),
  );

  server.registerTool(
    "delete_memory",
    {
      title: "Delete a memory",
      description: "Delete one memory that is wrong or that the user wants forgotten.",
      inputSchema: {
        memory_id: memoryIdInput,
        user_id: userIdInput.optional().describe("Owner (default: the configured user)"),
      },
      outputSchema: { memory_id: z.string(), deleted: z.boolean() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ memory_id, user_id }) =>
      guarded(deps, "delete_memory", async () => {
        await ownedMemory(deps, memory_id, userOrDefault(deps, user_id, "write"));
        await deps.store.delete(memory_id);
        return ok(`Deleted memory ${memory_id}.`, { memory_id, deleted: true });
      }),
  );

  server.registerTool(
    "delete_all_memories",
    {
      title: "Delete all memories of a user",
      description:
        "Forget everything about one user, including history. Irreversible: only when the user explicitly asks, " +
        "and only with confirm: true.",
      inputSchema: {
        user_id: userIdInput.describe("Whose memories to delete (required)"),
        confirm: z
          .literal(true, {
            error:
              "confirm must be true: this permanently deletes every memory of the user. Ask the user first, then pass confirm: true",
          })
          .describe("Must be true"),
      },
      outputSchema: { user_id: z.string(), deleted: z.number().int() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ user_id }) =>
      guarded(deps, "delete_all_memories", async () => {
        const user = await requireKnownUser(deps, user_id, "forget");
        const deleted = await deps.store.deleteAll({ user_id: user });
        return ok(`Deleted ${memoryCount(deleted)} of user ${user}.`, { user_id: user, deleted });
      }),
  );
}

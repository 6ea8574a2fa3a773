import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { MemoryError } from "../../core/errors.js";
import type { InsightsProvider } from "../insights-provider.js";
import { LIMITS, limitInput, scopeIdInput, userIdInput } from "../schemas.js";
import { guarded, ok, requireKnownUser, type ToolDeps } from "./tool-kit.js";

const insightOutput = { user_id: z.string(), data: z.record(z.string(), z.unknown()) };

/**
 * The analyser first files newly captured turns as typed memories, and
 * `analyze` stores its result as the scope's reflection: both write, neither
 * destroys. Only `analyze` may call a language model, and only when the
 * opt-in model reflection is configured.
 */
function analysisAnnotations(deps: ToolDeps) {
  const { model, anthropicApiKey } = deps.config.reflection;
  return {
    analyze: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: Boolean(model && anthropicApiKey),
    },
    suggest: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  };
}

function analyser(deps: ToolDeps): InsightsProvider {
  if (deps.insights === undefined) {
    throw new MemoryError(
      "UNAVAILABLE",
      "The conversation analyser is not available in this server, so no analysis was made. " +
        "Use search_memories or list_memories and reason over the results yourself",
    );
  }
  return deps.insights;
}

export function registerInsightTools(server: McpServer, deps: ToolDeps): void {
  const annotations = analysisAnnotations(deps);
  server.registerTool(
    "analyze_conversations",
    {
      title: "Analyze past conversations",
      description:
        "Look for patterns in the user's recent memories (captured conversations, memories added with add_memory, imported ones): recurring problems, preferences, decisions, unfinished work. " +
        "Stores the result as the project's reflection.",
      inputSchema: {
        user_id: userIdInput.optional().describe("Whose memories (default: the configured user)"),
        limit: limitInput(LIMITS.analyzeMemories, 20).describe("How many recent memories to analyse"),
        app_id: scopeIdInput("app_id").optional().describe("Only this project"),
      },
      outputSchema: insightOutput,
      annotations: annotations.analyze,
    },
    ({ user_id, limit, app_id }) =>
      guarded(deps, "analyze_conversations", async () => {
        const insights = analyser(deps);
        const user = await requireKnownUser(deps, user_id);
        const result = await insights.analyze({ user_id: user, limit, app_id });
        return ok(result.text, { user_id: user, data: result.data });
      }),
  );

  server.registerTool(
    "suggest_next_actions",
    {
      title: "Suggest next actions",
      description: "Suggest what to do next, based on the user's recent memories and open threads.",
      inputSchema: {
        user_id: userIdInput.optional().describe("Whose memories (default: the configured user)"),
        app_id: scopeIdInput("app_id").optional().describe("Only this project"),
      },
      outputSchema: insightOutput,
      annotations: annotations.suggest,
    },
    ({ user_id, app_id }) =>
      guarded(deps, "suggest_next_actions", async () => {
        const insights = analyser(deps);
        const user = await requireKnownUser(deps, user_id);
        const result = await insights.suggest({ user_id: user, app_id });
        return ok(result.text, { user_id: user, data: result.data });
      }),
  );
}

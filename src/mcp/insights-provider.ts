/**
 * What the MCP tools `analyze_conversations` and `suggest_next_actions` need
 * from the reflection analyser. The analyser is implemented elsewhere and
 * injected into `createMcpServer`; without one those tools say so.
 */
export interface InsightsResult {
  /** A readable rendering for the model (Markdown allowed). */
  text: string;
  /** The same findings as structured data. */
  data: Record<string, unknown>;
}

export interface InsightsProvider {
  /** Patterns, recurring problems and preferences in the user's recent memories. */
  analyze(opts: { user_id: string; limit: number; app_id?: string | undefined }): Promise<InsightsResult>;
  /** Next steps suggested by the recent memories. */
  suggest(opts: { user_id: string; app_id?: string | undefined }): Promise<InsightsResult>;
}

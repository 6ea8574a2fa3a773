import { hasVectorIndex } from "../../store/vector-indexing.js";
import type { RegisterCommand } from "../context.js";
import { UsageError } from "../errors.js";
import { jsonOption } from "../options.js";
import { createProgress } from "../progress.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

const NOT_CONFIGURED =
  "no embedding model is configured: set EMBEDDINGS_URL (an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434 for Ollama) and EMBEDDINGS_MODEL";

/** embeddings status, embeddings backfill */
export const registerEmbeddingsCommands: RegisterCommand = (program, ctx) => {
  const cmd = program.command("embeddings").description(describeCommand("embeddings"));

  cmd
    .command("status")
    .description("how many memories have a vector of the configured model")
    .addOption(jsonOption())
    .action(async (flags: { json?: boolean }) => {
      const store = await ctx.store();
      const status = hasVectorIndex(store) ? await store.vectorIndexStatus() : null;
      if (flags.json) return ctx.out(json(status));
      if (!status) return ctx.err(NOT_CONFIGURED);
      ctx.out(`model ${status.model}: ${status.indexed} memories embedded, ${status.pending} pending`);
    });

  cmd
    .command("backfill")
    .description(
      "embed every memory that has no vector yet (the proxy and MCP server also do it in the background)",
    )
    .action(async () => {
      const store = await ctx.store();
      const status = hasVectorIndex(store) ? await store.vectorIndexStatus() : null;
      if (!hasVectorIndex(store) || !status) throw new UsageError(NOT_CONFIGURED);
      const progress = createProgress("embedding memories");
      let done = 0;
      try {
        done = await store.backfillVectors((n, total) => {
          done = n;
          progress.update(n, total);
        });
        progress.done();
        ctx.err(`embedded ${done} memories with ${status.model}`);
      } catch (e) {
        progress.done();
        ctx.err(`embedded ${done} memories before the endpoint failed; run backfill again to continue`);
        throw e;
      }
    });
};

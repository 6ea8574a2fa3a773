import { InvalidArgumentError } from "commander";
import type { Identity } from "../../core/access.js";
import { errorMessage, isMemoryError, MemoryError } from "../../core/errors.js";
import { tokenFingerprint } from "../../core/token-mask.js";
import type { InsightsProvider } from "../../mcp/insights-provider.js";
import { startVectorIndexing } from "../../store/vector-indexing.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { describeCommand } from "./catalog.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError("must be a port number from 0 to 65535 (0 picks a free one)");
  }
  return n;
}

/** Resolves when SIGINT or SIGTERM arrives (the signal handlers are removed afterwards). */
function untilSignal(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: controller.signal,
    done: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

/**
 * Claude Code shows only "Failed to connect" for a server that exits, and an
 * MCP server's stderr in its MCP log: a server that cannot start (bad
 * configuration, unreadable store) says why there, on one line.
 */
async function whyNotStarted<T>(prepare: () => Promise<T>): Promise<T> {
  try {
    return await prepare();
  } catch (e) {
    const why = errorMessage(e)
      .replace(/:\s*\n\s*/g, ": ")
      .replace(/\s*\n\s*/g, "; ");
    throw new MemoryError(
      isMemoryError(e) ? e.code : "UNAVAILABLE",
      `mcp-mitm-mem0 mcp cannot start: ${why}`,
      {
        cause: e,
      },
    );
  }
}

/** How the command finds the analyser (none: the two analysis tools say it is unavailable). */
export type InsightsFactory = (ctx: CliContext) => Promise<InsightsProvider | undefined>;

/** `mcp` (stdio, what `claude mcp add` launches) and `mcp --http [--port N]`. */
export function makeRegisterMcpCommand(insightsFactory?: InsightsFactory): RegisterCommand {
  return (program, ctx) => {
    program
      .command("mcp")
      .description(describeCommand("mcp"))
      .option("--http", "serve Streamable HTTP on 127.0.0.1 instead of stdio (needs a bearer token)")
      .option("--port <n>", "HTTP port (default MCP_HTTP_PORT, 8765; 0 picks a free port)", port)
      .action(async (flags: { http?: boolean; port?: number }) => {
        const { config, logger, store, createMcpServer, insights } = await whyNotStarted(async () => {
          const config = ctx.config();
          const logger = ctx.logger();
          const [store, { createMcpServer }] = await Promise.all([
            ctx.store({ entry: "mcp" }),
            import("../../mcp/server.js"),
          ]);
          startVectorIndexing(store);
          const insights = insightsFactory ? await insightsFactory(ctx) : undefined;
          return { config, logger, store, createMcpServer, insights };
        });
        const create = (identity?: Identity) =>
          createMcpServer({ store, config, logger, insights, identity });
        const stop = untilSignal();
        try {
          if (!flags.http) {
            if (flags.port !== undefined) ctx.err("note: --port only applies with --http; serving stdio");
            const { serveStdio } = await import("../../mcp/stdio.js");
            await serveStdio(create(), logger, { signal: stop.signal });
            return;
          }
          const [{ resolveHttpToken }, { serveHttp }, { SecurityEvents }, { teamMode }, { tokensPath }] =
            await Promise.all([
              import("../../mcp/http-token.js"),
              import("../../mcp/http.js"),
              import("../../http/security-events.js"),
              import("../../auth/team-mode.js"),
              import("../../auth/tokens.js"),
            ]);
          const team = teamMode(config);
          const token = team ? null : resolveHttpToken(config);
          const running = await serveHttp({
            port: flags.port ?? config.mcp.httpPort,
            auth: token ? { mode: "token", token: token.token } : { mode: "tokens", dataDir: config.dataDir },
            createServer: create,
            logger,
            security: new SecurityEvents({ logger, component: "mcp-http", dataDir: config.dataDir }),
          });
          // The token itself is never printed: where it is, and a fingerprint to tell it apart.
          if (!token) {
            ctx.err(
              `team mode: each person sends their own token (see ${tokensPath(config.dataDir)}, \`token list\`)`,
            );
          } else {
            const print = tokenFingerprint(token.token);
            if (token.source === "env") ctx.err(`MCP HTTP token: MCP_HTTP_TOKEN ${print}`);
            else
              ctx.err(
                `MCP HTTP token ${print}${token.source === "generated" ? " (new)" : ""}: cat ${token.path}`,
              );
          }
          ctx.out(`MCP server listening on ${running.url}`);
          await new Promise<void>((resolve) =>
            stop.signal.addEventListener("abort", () => resolve(), { once: true }),
          );
          await running.close();
        } finally {
          stop.done();
        }
      });
  };
}

/**
 * The analyser behind analyze_conversations / suggest_next_actions: the
 * insights service over the same store, loaded on the first call to either
 * tool, so that the server answers `initialize` without it.
 */
const insightsFromContext: InsightsFactory = async (ctx) => {
  let provider: Promise<InsightsProvider> | null = null;
  const load = () => {
    provider ??= Promise.all([ctx.store({ entry: "mcp" }), import("../../insights/index.js")]).then(
      ([store, { createInsights }]) =>
        createInsights({ store, config: ctx.config(), logger: ctx.logger() }).provider,
      (e: unknown) => {
        provider = null; // a later call tries again
        throw e;
      },
    );
    return provider;
  };
  return {
    analyze: async (opts) => (await load()).analyze(opts),
    suggest: async (opts) => (await load()).suggest(opts),
  };
};

export const registerMcpCommand: RegisterCommand = makeRegisterMcpCommand(insightsFromContext);

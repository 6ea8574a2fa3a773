import { InvalidArgumentError } from "commander";
import { createInsights } from "../../insights/index.js";
import { serveHttp } from "../../mcp/http.js";
import { resolveHttpToken } from "../../mcp/http-token.js";
import type { InsightsProvider } from "../../mcp/insights-provider.js";
import { createMcpServer } from "../../mcp/server.js";
import { serveStdio } from "../../mcp/stdio.js";
import type { CliContext, RegisterCommand } from "../context.js";

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

/** How the command finds the analyser (none: the two analysis tools say it is unavailable). */
export type InsightsFactory = (ctx: CliContext) => Promise<InsightsProvider | undefined>;

/** `mcp` (stdio, what `claude mcp add` launches) and `mcp --http [--port N]`. */
export function makeRegisterMcpCommand(insightsFactory?: InsightsFactory): RegisterCommand {
  return (program, ctx) => {
    program
      .command("mcp")
      .description("run the MCP server (stdio by default; --http for Streamable HTTP on 127.0.0.1)")
      .option("--http", "serve Streamable HTTP on 127.0.0.1 instead of stdio (needs a bearer token)")
      .option("--port <n>", "HTTP port (default MCP_HTTP_PORT, 8765; 0 picks a free port)", port)
      .action(async (o: { http?: boolean; port?: number }) => {
        const config = ctx.config();
        const logger = ctx.logger();
        const store = await ctx.store();
        const insights = insightsFactory ? await insightsFactory(ctx) : undefined;
        const create = () => createMcpServer({ store, config, logger, insights });
        const stop = untilSignal();
        try {
          if (!o.http) {
            if (o.port !== undefined) ctx.err("note: --port only applies with --http; serving stdio");
            await serveStdio(create(), logger, { signal: stop.signal });
            return;
          }
          const token = resolveHttpToken(config);
          const running = await serveHttp({
            port: o.port ?? config.mcp.httpPort,
            token: token.token,
            createServer: create,
            logger,
          });
          if (token.source === "generated") {
            ctx.err(`MCP HTTP token (saved to ${token.path}, shown once): ${token.token}`);
          } else if (token.source === "file") {
            ctx.err(`MCP HTTP token: see ${token.path}`);
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

/** The analyser behind analyze_conversations / suggest_next_actions: the insights service over the same store. */
const insightsFromContext: InsightsFactory = async (ctx) =>
  createInsights({ store: await ctx.store(), config: ctx.config(), logger: ctx.logger() }).provider;

export const registerMcpCommand: RegisterCommand = makeRegisterMcpCommand(insightsFromContext);

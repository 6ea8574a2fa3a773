import type { Readable, Writable } from "node:stream";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "../core/logger.js";

export interface StdioOptions {
  stdin?: Readable;
  /** Carries MCP messages only; logs go to the logger (stderr). */
  stdout?: Writable;
  /** Aborting it (e.g. on SIGTERM) closes the server. */
  signal?: AbortSignal;
}

/**
 * Serves one MCP client over stdio until the client closes stdin, stdout
 * breaks, or `signal` aborts. Resolves once the server is closed.
 */
export async function serveStdio(
  server: McpServer,
  logger: Logger,
  options: StdioOptions = {},
): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const transport = new StdioServerTransport(stdin, stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  let closing = false;
  const close = (why: string) => {
    if (closing) return;
    closing = true;
    logger.debug("mcp stdio closing", { why });
    server.close().catch((e: unknown) => logger.warn("mcp close failed", { error: String(e) }));
  };
  const onEnd = () => close("stdin ended");
  const onStdoutError = (e: Error) => {
    logger.warn("mcp stdout failed", { error: e.message });
    close("stdout error");
  };
  const onAbort = () => close("signal");
  stdin.once("end", onEnd);
  stdin.once("close", onEnd);
  stdout.on("error", onStdoutError);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await server.connect(transport);
    logger.info("mcp server ready", { transport: "stdio" });
    if (options.signal?.aborted) close("signal");
    await closed;
  } finally {
    stdin.off("end", onEnd);
    stdin.off("close", onEnd);
    stdout.off("error", onStdoutError);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

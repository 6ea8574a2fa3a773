import type { Config } from "../core/config.js";
import { type ResolvedToken, resolveToken } from "../http/token-file.js";

export const TOKEN_FILE = "mcp-http-token";

export type HttpToken = ResolvedToken;

/** The bearer token for `mcp --http`: MCP_HTTP_TOKEN, else `<dataDir>/mcp-http-token` (made on first use). */
export function resolveHttpToken(config: Pick<Config, "dataDir" | "mcp">): HttpToken {
  return resolveToken(config.dataDir, TOKEN_FILE, config.mcp.httpToken);
}

import type { Config } from "../core/config.js";
import { isLoopbackHost } from "../http/loopback-guard.js";

/**
 * Team mode is on when AUTH_MODE=tokens, and whenever the store is shared
 * (the PostgreSQL backend) and a server listens beyond loopback: then anyone
 * who can reach the port could otherwise name any user_id.
 */
export function teamMode(config: Pick<Config, "authMode" | "backend">, bindHost = "127.0.0.1"): boolean {
  if (config.authMode === "tokens") return true;
  const shared = (config.backend as string) === "postgres";
  return shared && !isLoopbackHost(bindHost) && !/^127\.|^::1$|^\[::1\]$/.test(bindHost);
}

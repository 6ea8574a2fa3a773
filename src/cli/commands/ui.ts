/**
 * `ui`: the local web page on 127.0.0.1 (default port 8766). The login link
 * carries the token, so it is printed only on request (`ui --print-link`);
 * `--open` opens it in a browser.
 */
import type { Config } from "../../core/config.js";
import { loginUrl } from "../../web/web-auth.js";
import { readWebStatus } from "../../web/web-status.js";
import type { RegisterCommand } from "../context.js";
import { openInBrowser, startWebPage, webToken } from "../web-page.js";
import { describeCommand } from "./catalog.js";
import { portNumber } from "./start.js";

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/** Where the page is (or would be) served: a running page's address, else the configured port. */
function pageUrl(config: Config): string {
  return readWebStatus(config.dataDir)?.url ?? `http://127.0.0.1:${config.web.port}/`;
}

export const registerUiCommand: RegisterCommand = (program, ctx) => {
  program
    .command("ui")
    .description(describeCommand("ui"))
    .option("--port <n>", "port (env WEB_PORT, default 8766; 0 = any free port)", portNumber)
    .option("--open", "open the login link in a browser")
    .option("--print-link", "print the login link (it carries the token) and exit")
    .action(async (flags: { port?: number; open?: boolean; printLink?: boolean }) => {
      const config = ctx.config();
      const { teamMode } = await import("../../auth/team-mode.js");
      const team = teamMode(config);
      if (flags.printLink) {
        // Team mode has no shared link: each person logs in with their own token.
        if (team)
          ctx.out(`${new URL("/login", pageUrl(config))} (team mode: log in with your personal token)`);
        else ctx.outSecret(loginUrl(pageUrl(config), webToken(config).token));
        return;
      }
      const logger = ctx.logger();
      const store = await ctx.store();
      const page = await startWebPage(config, store, logger, flags.port ?? config.web.port);
      const stopped = waitForSignal();
      ctx.out(`web page on ${page.server.url}`);
      if (team)
        ctx.out(
          `team mode: each person logs in at ${new URL("/login", page.server.url)} with their own token`,
        );
      else ctx.out("login link: mcp-mitm-mem0 ui --print-link (or --open)");
      if (flags.open)
        openInBrowser(team ? new URL("/login", page.server.url).toString() : page.server.loginUrl(), logger);
      await stopped;
      await page.close();
    });
};

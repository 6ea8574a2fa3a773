/**
 * `stop`: ends this data directory's proxy (started by `start`, `start
 * --background` or a service) with SIGTERM, the same clean shutdown as
 * Ctrl-C, and waits until its process is gone.
 */
import type { RegisterCommand } from "../context.js";
import { positiveInt } from "../options.js";
import { describeCommand } from "./catalog.js";

export const registerStopCommand: RegisterCommand = (program, ctx) => {
  program
    .command("stop")
    .description(describeCommand("stop"))
    .option(
      "--timeout <seconds>",
      "how long to wait for streams in flight to finish (default 30)",
      positiveInt("--timeout", 3600),
    )
    .action(async (flags: { timeout?: number }) => {
      const { stopProxy } = await import("../background.js");
      const outcome = await stopProxy(ctx.config(), (flags.timeout ?? 30) * 1000);
      if (outcome.kind === "stopped")
        ctx.out(`stopped the capture proxy on ${outcome.url} (pid ${outcome.pid})`);
      else ctx.out(outcome.detail);
    });
};

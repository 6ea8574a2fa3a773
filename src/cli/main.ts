#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=512 --v8-pool-size=1
/**
 * The `mcp-mitm-mem0` executable. It imports nothing up front: `--version`
 * answers from package.json alone, `--help` from the command catalog
 * (top-help.ts), and everything else loads the program
 * (commander and the command definitions), whose commands in turn load what
 * they need when they run. Start-up time is on the hot path (hooks run a
 * command on every prompt); `npm run bench:startup` measures it.
 *
 * The shebang's node flags are the proxy's (node-flags.ts: the process's V8
 * young generation is sized at start only, and `start` is one of the commands
 * this runs); test/cli/node-flags.test.ts checks they are that list.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { useCodeCache } from "./code-cache.js";
import { drained, exitQuietlyOnBrokenPipe } from "./output.js";

// The bundle's chunks compile from V8's code cache (code-cache.ts); tsc's output has no chunks.
useCodeCache(fileURLToPath(new URL("./chunks/", import.meta.url)));

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Runs the command line; resolves with the exit code. */
async function main(args: readonly string[]): Promise<number> {
  const hookArgs = args.includes("hook") ? (await import("./hook/hook-args.js")).parseHookArgs(args) : null;
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    // The command list comes from the catalog, laid out as commander would: commander is not loaded.
    const { topLevelHelp } = await import("./top-help.js");
    process.stdout.write(topLevelHelp(process.stdout.isTTY ? process.stdout.columns : 80));
    return 0;
  }
  if (hookArgs) {
    // `hook <EventName>` (Claude Code's hooks) skips commander: it runs on every prompt. The running
    // proxy answers it when it can (hook/hook-client.ts); otherwise it is answered in this process.
    const { runHookCommand } = await import("./hook/hook-command.js");
    return runHookCommand(hookArgs, version, (text) => process.stdout.write(text));
  }
  const { run } = await import("./program.js");
  return run(process.argv, version);
}

exitQuietlyOnBrokenPipe((c) => process.exit(c));
// No top-level await: the bundle is CommonJS (scripts/bundle-cli.mjs), which has none.
void main(process.argv.slice(2)).then(async (code) => {
  // Exit only once every byte reached the pipe or terminal (a slow `| jq` gets the whole output).
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
});

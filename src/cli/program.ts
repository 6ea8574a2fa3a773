import { Command, Help, Option } from "commander";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { maskTokens } from "../core/token-mask.js";
import type { AuditedMemoryStore } from "../store/audited-store.js";
import { CATALOG, loadCommandModule } from "./commands/catalog.js";
import type { CliContext } from "./context.js";
import { toExit } from "./errors.js";
import { GLOBAL_OPTIONS, PROGRAM_DESCRIPTION, PROGRAM_NAME } from "./top-help.js";

/** Global options that take a value (so the word after them is not a command name). */
const GLOBAL_WITH_VALUE = new Set(["--data-dir", "--config", "--env-file"]);

/** The command a command line names, skipping global options; for `help X`, X. */
export function commandNamed(args: readonly string[]): string | null {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const a = args[i] ?? "";
    if (a === "--") break;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith("-")) words.push(a);
  }
  return words[0] === "help" ? (words[1] ?? null) : (words[0] ?? null);
}

/** What config(), logger() and store() need, loaded before an action runs (never for --help). */
async function loadRuntime() {
  const [{ loadConfig }, { createLogger }, { openAuditedStore, READ_COMMAND_MMAP_BYTES }] = await Promise.all(
    [import("./load-config.js"), import("../core/logger.js"), import("../store/open-store.js")],
  );
  return { loadConfig, createLogger, openAuditedStore, READ_COMMAND_MMAP_BYTES };
}

/**
 * The program for one command line: the command it names, defined in full
 * (its module loaded), or, when it names none (`--help`, a typo), every
 * command as a name and a description for the listing.
 */
async function buildProgram(
  version: string,
  args: readonly string[],
): Promise<{ program: Command; closeStore: () => Promise<void>; masked: (text: string) => string }> {
  const program = new Command()
    .name(PROGRAM_NAME)
    .description(PROGRAM_DESCRIPTION)
    .version(version)
    .option(...GLOBAL_OPTIONS.dataDir)
    .option(...GLOBAL_OPTIONS.config)
    // Node 20 itself acts on an `--env-file` anywhere on its command line: kept working, not advertised.
    .addOption(new Option("--env-file <file>").hideHelp())
    .option(...GLOBAL_OPTIONS.debug)
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({
      showGlobalOptions: true,
      // Listed without their modules loaded, commands show the term the catalog gives them.
      subcommandTerm: (cmd) =>
        CATALOG.find((e) => e.name === cmd.name())?.term ??
        Help.prototype.subcommandTerm.call(new Help(), cmd),
    });

  let runtime: Awaited<ReturnType<typeof loadRuntime>> | null = null;
  program.hook("preAction", async () => {
    runtime ??= await loadRuntime();
  });
  const loaded = () => {
    if (!runtime) throw new Error("the command's runtime was used before its action started");
    return runtime;
  };

  let config: Config | null = null;
  let envFile: string | null = null;
  let logger: Logger | null = null;
  let store: Promise<AuditedMemoryStore> | null = null;

  // Every token this tool knows of, shown as a fingerprint wherever a command or a log would print it.
  const knownTokens = (): (string | undefined)[] =>
    config
      ? [config.proxy.authToken, config.mcp.httpToken, config.web.token, config.mem0.apiKey]
      : [process.env.PROXY_AUTH_TOKEN, process.env.MCP_HTTP_TOKEN, process.env.WEB_TOKEN];
  const masked = (text: string) => maskTokens(text, knownTokens());
  const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

  const named = CATALOG.find((e) => e.name === commandNamed(args));

  const ctx: CliContext = {
    config() {
      if (!config) {
        const flags = program.opts<{
          dataDir?: string;
          config?: string;
          envFile?: string;
          debug?: boolean;
        }>();
        const result = loaded().loadConfig({
          envFile: flags.config ?? flags.envFile,
          overrides: { MEMORY_DATA_DIR: flags.dataDir, MEMORY_LOG_LEVEL: flags.debug ? "debug" : undefined },
        });
        config = result.config;
        envFile = result.envFile;
        for (const w of result.warnings) process.stderr.write(masked(`warning: ${w}\n`));
      }
      return config;
    },
    envFile() {
      ctx.config();
      return envFile;
    },
    logger() {
      logger ??= loaded().createLogger(ctx.config().logLevel, (l) => process.stderr.write(masked(l)));
      return logger;
    },
    store(by) {
      if (!store) {
        // The read commands run once and exit: their store is read through a memory map.
        const { openAuditedStore, READ_COMMAND_MMAP_BYTES } = loaded();
        const sqliteMmapBytes = named?.module === "read" ? READ_COMMAND_MMAP_BYTES : undefined;
        store = openAuditedStore(ctx.config(), ctx.logger(), undefined, { sqliteMmapBytes });
      }
      return by ? store.then((s) => s.as(by)) : store;
    },
    out: (text) => process.stdout.write(masked(line(text))),
    err: (text) => process.stderr.write(masked(line(text))),
    outSecret: (text) => process.stdout.write(line(text)),
  };

  if (named) {
    for (const register of await loadCommandModule(named.module)) register(program, ctx);
  } else {
    for (const e of CATALOG) program.command(e.name).description(e.description);
  }
  const closeStore = async () => {
    if (store) await (await store.catch(() => null))?.close();
  };
  return { program, closeStore, masked };
}

/** Runs one command line; resolves with the exit code (main.ts exits once output is flushed). */
export async function run(argv: string[], version: string): Promise<number> {
  const { program, closeStore, masked } = await buildProgram(version, argv.slice(2));
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const r = toExit(e);
    if (r.message) process.stderr.write(masked(`${r.message}\n`));
    code = r.code;
  }
  try {
    await closeStore();
  } catch (e) {
    process.stderr.write(masked(`warning: closing the store failed: ${(e as Error).message}\n`));
  }
  return code;
}

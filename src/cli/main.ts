#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { Config } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import type { MemoryStore } from "../store/memory-store.js";
import { openStore } from "../store/open-store.js";
import { registerAnalyzeCommand, registerSuggestCommand } from "./commands/analyze.js";
import { registerCaCommand } from "./commands/ca.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerMcpCommand } from "./commands/mcp.js";
import { registerReadCommands } from "./commands/memory-read.js";
import { registerWriteCommands } from "./commands/memory-write.js";
import { registerPortabilityCommands } from "./commands/portability.js";
import { registerStartCommand } from "./commands/start.js";
import { registerStatusCommand } from "./commands/status.js";
import { registerUiCommand } from "./commands/ui.js";
import type { CliContext, RegisterCommand } from "./context.js";
import { toExit } from "./errors.js";
import { loadConfig } from "./load-config.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Every command of the CLI, in the order `--help` lists them. */
const COMMANDS: RegisterCommand[] = [
  registerStartCommand,
  registerStatusCommand,
  registerUiCommand,
  registerDoctorCommand,
  registerCaCommand,
  registerMcpCommand,
  registerWriteCommands,
  registerReadCommands,
  registerPortabilityCommands,
  registerAnalyzeCommand,
  registerSuggestCommand,
];

function buildProgram(): { program: Command; closeStore: () => Promise<void> } {
  const program = new Command()
    .name("mcp-mitm-mem0")
    .description("Long-term memory for Claude: capture proxy, memory store, MCP server")
    .version(pkg.version)
    .option("--data-dir <dir>", "where the database and the CA live (env MEMORY_DATA_DIR)")
    .option("--env-file <file>", "read configuration from this file instead of ./.env")
    .option("--debug", "verbose logs on stderr")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ showGlobalOptions: true });

  let config: Config | null = null;
  let logger: Logger | null = null;
  let store: Promise<MemoryStore> | null = null;

  const ctx: CliContext = {
    config() {
      if (!config) {
        const o = program.opts<{ dataDir?: string; envFile?: string; debug?: boolean }>();
        const loaded = loadConfig({
          envFile: o.envFile,
          overrides: { MEMORY_DATA_DIR: o.dataDir, DEBUG: o.debug ? "true" : undefined },
        });
        config = loaded.config;
        for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
      }
      return config;
    },
    logger() {
      logger ??= createLogger(ctx.config().logLevel);
      return logger;
    },
    store() {
      store ??= openStore(ctx.config(), ctx.logger());
      return store;
    },
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  };

  for (const register of COMMANDS) register(program, ctx);
  const closeStore = async () => {
    if (store) await (await store.catch(() => null))?.close();
  };
  return { program, closeStore };
}

export async function main(argv: string[]): Promise<number> {
  const { program, closeStore } = buildProgram();
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const r = toExit(e);
    if (r.message) process.stderr.write(`${r.message}\n`);
    code = r.code;
  }
  try {
    await closeStore();
  } catch (e) {
    process.stderr.write(`warning: closing the store failed: ${(e as Error).message}\n`);
  }
  return code;
}

process.exit(await main(process.argv));

import { Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/cli/commands/catalog.js";
import { GLOBAL_OPTIONS, PROGRAM_DESCRIPTION, PROGRAM_NAME, topLevelHelp } from "../../src/cli/top-help.js";
import { runCli } from "../support/cli.js";

/**
 * `--help` is printed from the catalog without loading commander (start-up
 * time); it must be exactly what commander prints for the same program.
 */
function commanderHelp(width: number): string {
  const program = new Command()
    .name(PROGRAM_NAME)
    .description(PROGRAM_DESCRIPTION)
    .version("0.0.0")
    .option(...GLOBAL_OPTIONS.dataDir)
    .option(...GLOBAL_OPTIONS.config)
    .option(...GLOBAL_OPTIONS.debug)
    .configureHelp({
      helpWidth: width,
      subcommandTerm: (cmd) =>
        CATALOG.find((e) => e.name === cmd.name())?.term ??
        Help.prototype.subcommandTerm.call(new Help(), cmd),
    });
  for (const e of CATALOG) program.command(e.name).description(e.description);
  return program.helpInformation();
}

describe("top-level --help without commander", () => {
  it("matches commander's rendering at a pipe's width and at terminal widths", () => {
    for (const width of [80, 60, 100, 132, 30])
      expect(topLevelHelp(width), `width ${width}`).toBe(commanderHelp(width));
  });

  it("is what --help, -h and help print", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(topLevelHelp(80));
    expect((await runCli(["-h"])).stdout).toBe(help.stdout);
    // `help` goes through commander with every command registered from the catalog.
    expect((await runCli(["help"])).stdout).toBe(help.stdout);
  });
});

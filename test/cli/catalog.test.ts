import { Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { CATALOG, loadAllCommands } from "../../src/cli/commands/catalog.js";
import type { CliContext } from "../../src/cli/context.js";

describe("command catalog", () => {
  it("lists every command exactly as its module defines it", async () => {
    const program = new Command();
    const ctx = {} as CliContext; // registering a command only defines it; nothing of ctx is used
    for (const register of await loadAllCommands()) register(program, ctx);
    const help = new Help();
    const defined = program.commands.map((c) => ({
      name: c.name(),
      term: help.subcommandTerm(c),
      description: c.description(),
    }));
    expect(defined).toEqual(CATALOG.map(({ name, term, description }) => ({ name, term, description })));
  });
});

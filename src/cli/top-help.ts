/**
 * The top-level `--help` without commander: the same text commander prints
 * for the program (usage, description, global options, every command of the
 * catalog), laid out by the same rules (terms padded to the longest, each
 * description wrapped at whitespace to the help width, 80 on a pipe, the
 * terminal's width on one). Loading commander and the program costs more than
 * Node's own start here, and `--help` is the first thing a person runs.
 * test/cli/top-help.test.ts checks it against commander's own rendering.
 */
import { CATALOG } from "./commands/catalog.js";

export const PROGRAM_NAME = "mcp-mitm-mem0";
export const PROGRAM_DESCRIPTION = "Long-term memory for Claude: capture proxy, memory store, MCP server";

/** The global options as `program.ts` defines them (flags, description), in help order. */
export const GLOBAL_OPTIONS = {
  dataDir: ["--data-dir <dir>", "where the database and the CA live (env MEMORY_DATA_DIR)"],
  config: [
    "--config <file>",
    "read configuration (KEY=value lines) from this file instead of the tool's .env",
  ],
  debug: ["--debug", "verbose logs on stderr (same as MEMORY_LOG_LEVEL=debug)"],
} as const;

const MIN_WIDTH_TO_WRAP = 40;

/** Wraps at whitespace to `width`, keeping line breaks (commander's `boxWrap`). */
function boxWrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/\s*\S+/g);
    if (chunks === null) {
      out.push("");
      continue;
    }
    let sum = [chunks[0] as string];
    let sumWidth = sum[0]?.length ?? 0;
    for (const chunk of chunks.slice(1)) {
      if (sumWidth + chunk.length <= width) {
        sum.push(chunk);
        sumWidth += chunk.length;
        continue;
      }
      out.push(sum.join(""));
      const next = chunk.trimStart();
      sum = [next];
      sumWidth = next.length;
    }
    out.push(sum.join(""));
  }
  return out.join("\n");
}

function item(term: string, termWidth: number, description: string, width: number): string {
  const remaining = width - termWidth - 2 - 2;
  const preformatted = /\n[^\S\r\n]/.test(description);
  const wrapped =
    remaining < MIN_WIDTH_TO_WRAP || preformatted
      ? description
      : boxWrap(description, remaining).replace(/\n/g, `\n${" ".repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${wrapped.replace(/\n/g, "\n  ")}`;
}

/** The help text, ending with a newline, for a help `width` (commander's default: 80). */
export function topLevelHelp(width = 80): string {
  const options: [string, string][] = [
    ["-V, --version", "output the version number"],
    ...Object.values(GLOBAL_OPTIONS).map(([t, d]): [string, string] => [t, d]),
    ["-h, --help", "display help for command"],
  ];
  const commands: [string, string][] = [
    ...CATALOG.map((e): [string, string] => [e.term, e.description]),
    ["help [command]", "display help for command"],
  ];
  const termWidth = Math.max(...[...options, ...commands].map(([t]) => t.length));
  return `${[
    `Usage: ${PROGRAM_NAME} [options] [command]`,
    "",
    boxWrap(PROGRAM_DESCRIPTION, width),
    "",
    "Options:",
    ...options.map(([t, d]) => item(t, termWidth, d, width)),
    "",
    "Commands:",
    ...commands.map(([t, d]) => item(t, termWidth, d, width)),
  ].join("\n")}\n`;
}

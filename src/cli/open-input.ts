/**
 * The file `import` reads (or stdin for `-`), opened up front so that a file
 * that cannot be read fails with a message naming it and what import accepts,
 * instead of a raw system error.
 */
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { InvalidInputError } from "../core/errors.js";

const OPEN_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
};

/**
 * Opens the file to import (or stdin for `-`), failing with a message that
 * names the file and what import accepts instead of a raw system error.
 */
export async function openInput(path: string): Promise<Readable> {
  if (path === "-") return process.stdin;
  const accepted = "give a JSONL or JSON file written by `mcp-mitm-mem0 export`, or - for stdin";
  try {
    const handle = await open(path, "r");
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error("directory"), { code: "EISDIR" });
    }
    return handle.createReadStream({ encoding: "utf8" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw new InvalidInputError(
      `import: cannot read ${path} (${OPEN_ERRORS[code] ?? (code || "error")}); ${accepted}`,
    );
  }
}

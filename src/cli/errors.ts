import { CommanderError } from "commander";
import { isMemoryError } from "../core/errors.js";

/** Exit codes: 0 ok, 1 error, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** A usage mistake the person can fix by changing the command line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The one error boundary: every failure becomes a message and an exit code. */
export function toExit(e: unknown): { code: number; message: string | null } {
  if (e instanceof CommanderError) {
    // Help and version print themselves and are not failures.
    if (
      e.code === "commander.helpDisplayed" ||
      e.code === "commander.version" ||
      e.code === "commander.help"
    ) {
      return { code: EXIT_OK, message: null };
    }
    // Commander already printed its message.
    return { code: EXIT_USAGE, message: null };
  }
  if (e instanceof UsageError) return { code: EXIT_USAGE, message: `error: ${e.message}` };
  if (isMemoryError(e)) {
    const code = e.code === "INVALID_INPUT" || e.code === "CONFIG_INVALID" ? EXIT_USAGE : EXIT_ERROR;
    return { code, message: `error: ${e.message}` };
  }
  if (e instanceof Error) return { code: EXIT_ERROR, message: `error: ${e.message}` };
  return { code: EXIT_ERROR, message: `error: ${String(e)}` };
}

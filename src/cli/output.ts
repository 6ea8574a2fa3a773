/**
 * Standard output that is delivered whole: a command's last write may still
 * sit in Node's buffer when the command returns (a pipe to a slow reader
 * takes 64 KiB at a time), so the CLI waits for both streams to drain before
 * it exits. A reader that goes away (`| head`) ends the command quietly.
 */

type Stream = NodeJS.WriteStream;

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream failed). */
export function drained(stream: Pick<Stream, "write" | "writableLength" | "destroyed">): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    // Writes complete in order: the callback of an empty write runs after every earlier one.
    stream.write("", () => resolve());
  });
}

/** True for the error a write gets when the reading end of the pipe is closed. */
export function isBrokenPipe(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}

/**
 * From now on a closed stdout ends the process at once, with `code` and no
 * message: nobody is left to read the rest, and Node would otherwise throw an
 * unhandled EPIPE error with a stack trace.
 */
export function exitQuietlyOnBrokenPipe(exit: (code: number) => void, code = 0): void {
  process.stdout.on("error", (e) => {
    if (isBrokenPipe(e)) exit(code);
    else throw e;
  });
}

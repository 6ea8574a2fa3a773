/** How often a progress line may be redrawn. */
const REDRAW_MS = 100;

export interface Progress {
  /** Records how much is done (and a short detail after the count); redraws at most every REDRAW_MS. */
  update(done: number, total?: number, detail?: string): void;
  /** Draws the final count and ends the line. */
  done(): void;
}

/**
 * A one-line progress counter on a terminal (`\r`-redrawn); silent when the
 * stream is not a TTY, so piped output and logs stay clean.
 */
export function createProgress(
  label: string,
  stream: Pick<NodeJS.WriteStream, "isTTY" | "write"> = process.stderr,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  let count = 0;
  let of: number | undefined;
  let extra = "";
  let drawnAt: number | null = null;
  const draw = () => {
    drawnAt = now();
    const pct = of ? ` (${Math.floor((count / of) * 100)}%)` : "";
    stream.write(`\r${label}: ${count}${of ? `/${of}` : ""}${pct}${extra}`);
  };
  return {
    update(done, total, detail) {
      count = done;
      of = total;
      extra = detail ? `, ${detail}`.padEnd(48) : "";
      if (drawnAt === null || now() - drawnAt >= REDRAW_MS) draw();
    },
    done() {
      if (drawnAt !== null) {
        draw();
        stream.write("\n");
      }
    },
  };
}

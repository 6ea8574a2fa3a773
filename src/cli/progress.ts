/** A one-line progress counter on a terminal; silent when stderr is not a TTY. */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  let last = 0;
  return {
    update(done: number, total?: number) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      const pct = total ? ` (${Math.floor((done / total) * 100)}%)` : "";
      stream.write(`\r${label}: ${done}${total ? `/${total}` : ""}${pct}`);
    },
    done() {
      if (tty) stream.write("\n");
    },
  };
}

/**
 * The hook command line and its stdin, shared by the fast path that asks the
 * running proxy (hook-client.ts) and the in-process path (hook-main.ts).
 * Imports nothing: main.ts loads it for every command line with `hook` in it.
 */

/** Global options with a value, accepted before or after `hook <EventName>`. */
const WITH_VALUE = new Set(["--data-dir", "--config", "--env-file"]);

export interface HookArgs {
  event: string;
  dataDir?: string;
  config?: string;
  debug: boolean;
}

/** `[global options] hook <EventName> [global options]`; null when it is anything else (help, extra words). */
export function parseHookArgs(args: readonly string[]): HookArgs | null {
  const words: string[] = [];
  const out: Omit<HookArgs, "event"> = { debug: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    if (WITH_VALUE.has(flag)) {
      const v = inline ?? args[++i];
      if (v === undefined) return null;
      if (flag === "--data-dir") out.dataDir = v;
      else out.config = v;
    } else if (a === "--debug") out.debug = true;
    else if (a.startsWith("-")) return null;
    else words.push(a);
  }
  if (words.length !== 2 || words[0] !== "hook") return null;
  return { ...out, event: words[1] ?? "" };
}

/** Most a hook reads from stdin; more is refused (nothing printed). */
export const MAX_STDIN_CHARS = 5_000_000;

/** All of stdin as text; rejects beyond MAX_STDIN_CHARS. */
export function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d: string) => {
      text += d;
      if (text.length > MAX_STDIN_CHARS) reject(new Error("stdin is larger than 5 MB"));
    });
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

/** Whether the reasons for printing nothing go to stderr: --debug, or MEMORY_LOG_LEVEL=debug. */
export function debugRequested(args: HookArgs, env: NodeJS.ProcessEnv = process.env): boolean {
  return args.debug || env.MEMORY_LOG_LEVEL === "debug";
}

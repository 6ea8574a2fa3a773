/**
 * `hook <EventName>` as main.ts runs it: the running proxy answers when it
 * can (hook-client.ts: node:net and nothing else loaded), and otherwise this
 * process does (hook-main.ts: configuration, store, search). Both run the
 * same runHook on the same configuration, store and session state, so the
 * printed JSON is the same either way; only the time differs.
 */
import { debugRequested, type HookArgs, readStdin } from "./hook-args.js";
import { askRunningProxy, CLIENT_DEADLINE_MS } from "./hook-client.js";

/** `promise`, or a rejection once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${CLIENT_DEADLINE_MS} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export async function runHookCommand(
  args: HookArgs,
  version: string,
  write: (text: string) => void,
): Promise<number> {
  const inProcess = async (stdin?: Promise<string>) => {
    const { hookMain } = await import("./hook-main.js");
    return hookMain(args, write, stdin);
  };
  // `--config FILE` is read by the configuration loader alone: nothing cheap can tell where its data lives.
  if (args.config !== undefined) return inProcess();
  const debug = debugRequested(args);
  // Stdin and the proxy's answer together within CLIENT_DEADLINE_MS; then HOOK_TIMEOUT_MS in-process.
  const deadline = Date.now() + CLIENT_DEADLINE_MS;
  const stdin = readStdin();
  // A failed read (more than 5 MB) is reported by the in-process path, which gets the same promise.
  stdin.catch(() => {});
  let why: string;
  try {
    const text = await within(stdin, CLIENT_DEADLINE_MS, "reading stdin");
    // Printed before the proxy is told it was received (then, and only then, it records it as shown).
    const reply = await askRunningProxy(args, text, version, Math.max(1, deadline - Date.now()), (r) => {
      if (r.text !== "") write(r.text);
    });
    if (reply.ok) {
      if ((debug || reply.debug) && reply.reason)
        process.stderr.write(`hook ${args.event}: ${reply.reason}\n`);
      return 0;
    }
    why = reply.error;
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  if (debug)
    process.stderr.write(`hook ${args.event}: not answered by a running proxy (${why}); answering here\n`);
  return inProcess(stdin);
}

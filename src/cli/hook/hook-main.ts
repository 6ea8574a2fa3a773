/**
 * The hook command's own entry, reached from main.ts without commander or any
 * other command's modules (a hook runs on every prompt: start-up is its
 * cost). Whatever goes wrong — bad stdin, a locked or missing store, bad
 * configuration, HOOK_TIMEOUT_MS passing — it prints nothing on stdout and
 * exits 0, so the person's prompt is never blocked or broken; with --debug
 * (or MEMORY_LOG_LEVEL=debug) the reason goes to stderr.
 */
import type { MemoryStore } from "../../store/memory-store.js";
import { loadConfig } from "../load-config.js";
import { debugRequested, type HookArgs, readStdin } from "./hook-args.js";
import { type HookEvent, isHookEvent, parseHookInput, runHook } from "./run-hook.js";

/** The configured store, its reads recorded in the audit log as coming from `hook`. */
async function openHookStore(config: ReturnType<typeof loadConfig>["config"]): Promise<MemoryStore> {
  const [
    { AuditLog },
    { AuditedMemoryStore },
    { databasePath, openStore, READ_COMMAND_MMAP_BYTES },
    { silentLogger },
  ] = await Promise.all([
    import("../../store/audit-log.js"),
    import("../../store/audited-store.js"),
    import("../../store/open-store.js"),
    import("../../core/logger.js"),
  ]);
  let inner: MemoryStore;
  if (config.backend === "sqlite" && config.embeddings === null) {
    const { SqliteMemoryStore } = await import("../../store/sqlite/sqlite-store.js");
    // Read-only, and never waiting long for a lock: a busy store means no notes this time.
    inner = SqliteMemoryStore.open(databasePath(config), {
      readonly: true,
      busyTimeoutMs: 200,
      mmapBytes: READ_COMMAND_MMAP_BYTES,
    });
  } else {
    inner = await openStore(config, silentLogger, { sqliteMmapBytes: READ_COMMAND_MMAP_BYTES });
  }
  // A failed audit write never fails the operation (nor, here, prints anything).
  const log = new AuditLog(config.dataDir, {
    retentionDays: config.audit.retentionDays,
    onFailure: () => {},
  });
  return new AuditedMemoryStore(inner, log, { entry: "hook" });
}

/**
 * Runs the hook and returns the exit code (always 0). `write` receives the
 * JSON for Claude Code, at most once. `stdin` is the event's JSON when the
 * caller already read it (the fast path that asked the running proxy first).
 */
export async function hookMain(
  args: HookArgs,
  write: (text: string) => void,
  stdin?: Promise<string>,
): Promise<number> {
  let debug = debugRequested(args);
  const fail = (e: unknown) => {
    if (debug) process.stderr.write(`hook ${args.event}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 0;
  };
  if (!isHookEvent(args.event)) {
    return fail(
      new Error(`unknown event ${JSON.stringify(args.event)}; expected SessionStart or UserPromptSubmit`),
    );
  }
  const event: HookEvent = args.event;
  let store: MemoryStore | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { config } = loadConfig({
      envFile: args.config,
      overrides: { MEMORY_DATA_DIR: args.dataDir },
    });
    debug ||= config.logLevel === "debug";
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within HOOK_TIMEOUT_MS=${config.recall.hookTimeoutMs}`)),
        config.recall.hookTimeoutMs,
      );
    });
    const work = (async () => {
      const input = parseHookInput(await (stdin ?? readStdin()), event);
      if (input instanceof Error) throw input;
      store = await openHookStore(config);
      return runHook(event, input, { config, store });
    })();
    // Past the deadline the answer is dropped unrecorded: its notes stay unshown for the next prompt.
    const answer = await Promise.race([work, deadline]);
    if (answer.text !== "") write(answer.text);
    answer.commit();
    return 0;
  } catch (e) {
    return fail(e);
  } finally {
    clearTimeout(timer);
    await (store as MemoryStore | null)?.close().catch(() => {});
  }
}

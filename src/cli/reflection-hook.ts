import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { Insights } from "../insights/index.js";
import type { MemoryStore } from "../store/memory-store.js";

/**
 * The reflection hook, called every REFLECTION_EVERY stored turns: derive
 * typed memories (preferences, decisions, errors, fixes, todos) from the
 * turns not yet seen. Extraction is incremental and cheap; the full analysis
 * (and the opt-in model reflection, which costs an API call) stays on demand
 * (`analyze`, `analyze_conversations`). One run at a time, and runs start at
 * least `minGapMs` apart and, after a run, at least `idleFactor` times its
 * duration after it ended: a run reads the turns of the last day (the window
 * for late arrivals) whatever the number of new ones, so its cost grows with
 * the day's traffic, and while capture works through a backlog a run per
 * REFLECTION_EVERY episodes would cost more than storing them. With the
 * factor, reflection takes at most about 1 / (1 + idleFactor) of the capture
 * thread, however large the day. A call during a run or the gap schedules
 * one more, so no turn waits for the next trigger. The insights code loads on
 * first use.
 */
export function reflectionHook(
  store: MemoryStore,
  config: Config,
  logger: Logger,
  minGapMs = 1000,
  idleFactor = 4,
): (count: number) => void {
  let insights: Promise<Insights> | null = null;
  let running = false;
  let again = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let nextAllowed = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  const run = (): void => {
    timer = null;
    running = true;
    again = false;
    lastStart = Date.now();
    insights ??= import("../insights/index.js").then(({ createInsights }) =>
      createInsights({ store, config, logger }),
    );
    insights
      .then((i) => i.extractNew(config.defaultUserId))
      .then((counts) => logger.debug("extraction ran", { ...counts }))
      .catch((e: unknown) =>
        logger.warn("extraction failed", { error: e instanceof Error ? e.name : "error" }),
      )
      .finally(() => {
        running = false;
        const ended = Date.now();
        nextAllowed = Math.max(lastStart + minGapMs, ended + idleFactor * (ended - lastStart));
        if (again) trigger();
      });
  };
  const trigger = (): void => {
    if (running || timer) {
      again = true;
      return;
    }
    const wait = Math.max(lastStart + minGapMs, nextAllowed) - Date.now();
    if (wait <= 0) run();
    else {
      timer = setTimeout(run, wait);
      timer.unref();
    }
  };
  return () => trigger();
}

import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { Insights } from "../insights/index.js";
import type { MemoryStore } from "../store/memory-store.js";

/**
 * The reflection hook, called every REFLECTION_EVERY stored turns: derive
 * typed memories (preferences, decisions, errors, fixes, todos) from the
 * turns not yet seen. Extraction is incremental and cheap; the full analysis
 * (and the opt-in model reflection, which costs an API call) stays on demand
 * (`analyze`, `analyze_conversations`). One run at a time; a call that arrives
 * during a run schedules one more, so no turn waits for the next trigger.
 * The insights code loads on first use.
 */
export function reflectionHook(store: MemoryStore, config: Config, logger: Logger): (count: number) => void {
  let insights: Promise<Insights> | null = null;
  let running = false;
  let again = false;
  const run = (): void => {
    running = true;
    again = false;
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
        if (again) run();
      });
  };
  return () => {
    if (running) again = true;
    else run();
  };
}

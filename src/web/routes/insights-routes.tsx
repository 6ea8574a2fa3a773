import type { Hono } from "hono";
import { errorMessage } from "../../core/errors.js";
import type { Insight, Suggestion } from "../../core/insights/types.js";
import type { Memory } from "../../core/types.js";
import { page } from "../page.js";
import { InsightsPage, type InsightsProps } from "../views/insights-page.js";
import type { WebContext } from "../web-context.js";

/** The category the insights service keeps its reflection memory under. */
const REFLECTION_CATEGORY = "reflection";

async function latestReflection(w: WebContext): Promise<Memory | null> {
  const listed = await w.store.list({
    filters: { user_id: w.userId, categories: [REFLECTION_CATEGORY] },
    limit: 1,
  });
  return listed.memories[0] ?? null;
}

function props(w: WebContext, extra: Partial<InsightsProps>): InsightsProps {
  return {
    days: w.catalog.activityByDay(30, w.now()),
    projects: w.catalog.projects(),
    reflection: null,
    analysis: null,
    projectFilter: null,
    csrf: w.auth.csrf,
    ...extra,
  };
}

export function insightsRoutes(app: Hono, w: WebContext): void {
  app.get("/insights", async (c) => {
    const reflection = await latestReflection(w);
    return page(c, w, "Insights", "insights", <InsightsPage {...props(w, { reflection })} />);
  });

  /** Runs analyze and suggest (they write: the reflection memory and newly extracted ones), then shows them. */
  app.post("/insights", async (c) => {
    const form = await c.req.parseBody();
    const project = typeof form.project === "string" && form.project !== "" ? form.project : undefined;
    if (!w.insights) {
      return page(
        c,
        w,
        "Insights",
        "insights",
        <InsightsPage {...props(w, { error: "Insights are not available in this server." })} />,
        503,
      );
    }
    try {
      const insights = await w.insights();
      const analysis = (await insights.analyze({ user_id: w.userId, app_id: project })).data as {
        status: string;
        insights?: Insight[];
      };
      const suggested = (await insights.suggest({ user_id: w.userId, app_id: project })).data as {
        suggestions?: Suggestion[];
      };
      // The analysis wrote memories (the reflection, extracted insights): let the catalog see them.
      void w.catalog.rescan();
      return page(
        c,
        w,
        "Insights",
        "insights",
        <InsightsPage
          {...props(w, {
            projectFilter: project ?? null,
            analysis: {
              status: analysis.status,
              insights: analysis.insights ?? [],
              suggestions: suggested.suggestions ?? [],
            },
          })}
        />,
      );
    } catch (e) {
      w.logger.warn("web analysis failed", { error: e instanceof Error ? e.name : "error" });
      return page(
        c,
        w,
        "Insights",
        "insights",
        <InsightsPage {...props(w, { error: `The analysis failed: ${errorMessage(e)}` })} />,
        500,
      );
    }
  });
}

import type { Insight, Suggestion } from "../../core/insights/types.js";
import type { Memory } from "../../core/types.js";
import type { ProjectSummary } from "../catalog.js";
import { projectLabel } from "../memory-facts.js";
import { CSRF_FIELD } from "../web-auth.js";
import { BarList, ColumnChart } from "./charts.js";
import { href, shortTime } from "./format.js";

export interface InsightsProps {
  days: { day: string; count: number; episodes: number }[];
  projects: ProjectSummary[];
  reflection: Memory | null;
  /** A run just made from this page. */
  analysis: { insights: Insight[]; suggestions: Suggestion[]; status: string } | null;
  projectFilter: string | null;
  csrf: string;
  error?: string | null;
}

interface Cited {
  kind: string;
  title: string;
  description?: string;
  confidence?: number;
  memory_ids: string[];
}

function Evidence(p: { ids: string[] }) {
  if (p.ids.length === 0) return null;
  return (
    <p class="evidence">
      <span>Evidence: </span>
      {p.ids.slice(0, 12).map((id, i) => (
        <>
          {i > 0 ? " " : null}
          <a href={`/memory/${encodeURIComponent(id)}`} class="chip">
            {`#${i + 1}`}
          </a>
        </>
      ))}
      {p.ids.length > 12 ? <span class="note">{` and ${p.ids.length - 12} more`}</span> : null}
    </p>
  );
}

function InsightList(p: { items: Cited[] }) {
  if (p.items.length === 0) return <p class="note">Nothing stood out.</p>;
  return (
    <ul class="insights">
      {p.items.map((i) => (
        <li>
          <p class="i-head">
            <span class="badge">{i.kind.replace(/_/g, " ")}</span> <strong>{i.title}</strong>
            {i.confidence !== undefined ? (
              <span class="note">{` confidence ${i.confidence.toFixed(2)}`}</span>
            ) : null}
          </p>
          {i.description ? <p>{i.description}</p> : null}
          <Evidence ids={i.memory_ids} />
        </li>
      ))}
    </ul>
  );
}

function storedInsights(m: Memory): Cited[] {
  const raw = m.metadata.insights;
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null)
    .map((x) => ({
      kind: String(x.kind ?? "insight"),
      title: String(x.title ?? ""),
      confidence: typeof x.confidence === "number" ? x.confidence : undefined,
      memory_ids: Array.isArray(x.memory_ids)
        ? x.memory_ids.filter((v): v is string => typeof v === "string")
        : [],
    }));
}

export function InsightsPage(p: InsightsProps) {
  const topProjects = p.projects
    .slice(0, 10)
    .map((x) => ({ label: projectLabel(x.app_id), value: x.memories }));
  return (
    <>
      <h1>Insights</h1>
      {p.error ? (
        <p class="error" role="alert">
          {p.error}
        </p>
      ) : null}
      <div class="charts">
        <ColumnChart
          id="per-day"
          title="Memories per day, last 30 days"
          bars={p.days.map((d) => ({ label: d.day, value: d.count, part: d.episodes }))}
          valueLabel="memories"
          partLabel="captured episodes"
        />
        <BarList id="per-project" title="Memories per project" bars={topProjects} valueLabel="memories" />
      </div>
      <details class="data-table">
        <summary>Activity as a table</summary>
        <section class="table-wrap" tabindex={0} aria-label="Activity per day">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Memories</th>
                <th scope="col">Captured episodes</th>
              </tr>
            </thead>
            <tbody>
              {p.days
                .filter((d) => d.count > 0)
                .map((d) => (
                  <tr>
                    <td>{d.day}</td>
                    <td>{String(d.count)}</td>
                    <td>{String(d.episodes)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      </details>
      <section class="panel" aria-labelledby="h-run">
        <h2 id="h-run">Analysis and next actions</h2>
        <form method="post" action="/insights" class="inline-form">
          <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
          <label class="field">
            <span>Project</span>
            <select name="project">
              <option value="">all projects</option>
              {p.projects
                .filter((x) => x.app_id !== null)
                .map((x) => (
                  <option value={x.app_id!} selected={x.app_id === p.projectFilter}>
                    {projectLabel(x.app_id)}
                  </option>
                ))}
            </select>
          </label>
          <button type="submit" class="button primary">
            Analyse now
          </button>
        </form>
        <p class="note">
          Analysing stores the result as the scope's reflection memory and extracts new typed memories.
        </p>
      </section>
      {p.analysis ? (
        <>
          <section class="panel" aria-labelledby="h-analysis">
            <h2 id="h-analysis">Analysis</h2>
            <InsightList items={p.analysis.insights} />
          </section>
          <section class="panel" aria-labelledby="h-suggest">
            <h2 id="h-suggest">Suggested next actions</h2>
            {p.analysis.suggestions.length === 0 ? (
              <p class="note">No suggestions.</p>
            ) : (
              <ol class="insights">
                {p.analysis.suggestions.map((s) => (
                  <li>
                    <p class="i-head">
                      <strong>{s.action}</strong>
                    </p>
                    <p>{s.reason}</p>
                    <Evidence ids={s.memory_ids} />
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      ) : p.reflection ? (
        <section class="panel" aria-labelledby="h-last">
          <h2 id="h-last">
            {"Last analysis "}
            <a href={`/memory/${encodeURIComponent(p.reflection.id)}`} class="note">
              {shortTime(p.reflection.updated_at)}
            </a>
          </h2>
          <InsightList items={storedInsights(p.reflection)} />
        </section>
      ) : (
        <p class="note">No analysis yet. Run one above.</p>
      )}
      <p class="note">
        <a href={href("/", { source: "insight" })}>All extracted insights</a>
      </p>
    </>
  );
}

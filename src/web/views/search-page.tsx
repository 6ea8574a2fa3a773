import type { ProjectSummary, SessionSummary } from "../catalog.js";
import { projectLabel, SOURCE_LABELS, SOURCES } from "../memory-facts.js";
import { type SearchPage, type SearchRequest, searchParams } from "../search-query.js";
import { plural, shortId, shortTime } from "./format.js";
import { MemoryCard } from "./memory-card.js";

export interface Facets {
  projects: ProjectSummary[];
  sessions: SessionSummary[];
  categories: string[];
}

function Select(p: { name: string; label: string; value: string | null; options: [string, string][] }) {
  return (
    <label class="field">
      <span>{p.label}</span>
      <select name={p.name}>
        <option value="">any</option>
        {p.options.map(([v, text]) => (
          <option value={v} selected={v === p.value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

export function SearchForm(p: { r: SearchRequest; facets: Facets }) {
  const { r, facets } = p;
  const projects: [string, string][] = facets.projects
    .filter((x) => x.app_id !== null)
    .map((x) => [x.app_id!, `${projectLabel(x.app_id)} (${x.memories})`]);
  const sessions: [string, string][] = facets.sessions
    .filter((s) => s.run_id !== null)
    .slice(0, 200)
    .map((s) => [s.run_id!, `${shortId(s.run_id)} · ${shortTime(s.last)} (${s.memories})`]);
  if (r.session && !sessions.some(([v]) => v === r.session))
    sessions.unshift([r.session, shortId(r.session)]);
  if (r.project && !projects.some(([v]) => v === r.project))
    projects.unshift([r.project, projectLabel(r.project)]);
  return (
    <search>
      <form class="search" id="search-form" method="get" action="/">
        <label class="q">
          <span class="visually-hidden">Search memories</span>
          <input
            type="search"
            name="q"
            id="q"
            value={r.q}
            placeholder="Search memories (press / to focus)"
            autocomplete="off"
            spellcheck={false}
            autofocus
          />
        </label>
        <fieldset class="filters">
          <legend class="visually-hidden">Filters</legend>
          <Select name="project" label="Project" value={r.project} options={projects} />
          <Select name="session" label="Session" value={r.session} options={sessions} />
          <Select
            name="category"
            label="Category"
            value={r.category}
            options={facets.categories.map((c) => [c, c])}
          />
          <Select
            name="source"
            label="Source"
            value={r.source}
            options={SOURCES.map((s) => [s, SOURCE_LABELS[s]])}
          />
          <label class="field">
            <span>From</span>
            <input type="date" name="from" value={r.from ?? ""} />
          </label>
          <label class="field">
            <span>To</span>
            <input type="date" name="to" value={r.to ?? ""} />
          </label>
          <label class="field">
            <span>Sort</span>
            <select name="sort">
              <option value="relevance" selected={r.sort === "relevance"}>
                relevance
              </option>
              <option value="newest" selected={r.sort === "newest"}>
                newest first
              </option>
            </select>
          </label>
          <button type="submit" class="button">
            Search
          </button>
        </fieldset>
      </form>
    </search>
  );
}

/** The result list and its "more" link: what search-as-you-type swaps in. */
export function Results(p: { r: SearchRequest; page: SearchPage; append?: boolean }) {
  const { r, page } = p;
  const summary =
    page.memories.length === 0
      ? r.q.trim()
        ? "No memories match."
        : "No memories yet."
      : r.q.trim()
        ? `${plural(page.memories.length, "match", "matches")}${page.next_cursor ? " shown" : ""}`
        : "Newest first";
  const items = page.memories.map((m) => <MemoryCard m={m} q={r.q} />);
  if (p.append) return <>{items}</>;
  return (
    <section id="results" aria-labelledby="results-heading" data-q={r.q.trim()} data-live={liveList(r)}>
      <h2 id="results-heading" class="results-heading">
        {summary}
      </h2>
      <ol class="cards" id="cards">
        {items}
      </ol>
      {page.next_cursor ? (
        <p class="more">
          <a class="button" id="more" href={`/?${searchParams(r, { cursor: page.next_cursor }).toString()}`}>
            More results
          </a>
        </p>
      ) : null}
    </section>
  );
}

/** New memories are prepended live only to the unfiltered newest-first list. */
function liveList(r: SearchRequest): string {
  const unfiltered = !r.q.trim() && !r.project && !r.session && !r.category && !r.source && !r.from && !r.to;
  return unfiltered && !r.cursor ? "prepend" : "notify";
}

export function SearchView(p: { r: SearchRequest; page: SearchPage; facets: Facets; indexing: boolean }) {
  return (
    <>
      <h1 class="visually-hidden">Search memories</h1>
      <SearchForm r={p.r} facets={p.facets} />
      {p.indexing ? <p class="note">Reading your memories for the project and session lists…</p> : null}
      <p class="note new-note" id="new-note" hidden>
        <a href="/" id="new-link">
          New memories arrived — show the newest
        </a>
      </p>
      <Results r={p.r} page={p.page} />
    </>
  );
}

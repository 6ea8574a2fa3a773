import type { HistoryEvent, Memory } from "../../core/types.js";
import { projectLabel, sourceKind } from "../memory-facts.js";
import { CSRF_FIELD } from "../web-auth.js";
import { EpisodeBlock } from "./episode-block.js";
import { href, shortTime } from "./format.js";
import { KindBadge } from "./memory-card.js";

export interface LinkedMemory {
  id: string;
  memory: Memory | null;
}

function Linked(p: { title: string; items: LinkedMemory[]; empty: string }) {
  return (
    <section class="panel" aria-labelledby={`h-${p.title.replace(/\W+/g, "-")}`}>
      <h2 id={`h-${p.title.replace(/\W+/g, "-")}`}>{p.title}</h2>
      {p.items.length === 0 ? (
        <p class="note">{p.empty}</p>
      ) : (
        <ul class="links">
          {p.items.map((l) => (
            <li>
              <a href={`/memory/${encodeURIComponent(l.id)}`}>
                {l.memory ? l.memory.memory.slice(0, 140) : `${l.id} (deleted)`}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function HistoryTable(p: { events: HistoryEvent[] }) {
  return (
    <section class="panel" aria-labelledby="h-history">
      <h2 id="h-history">History</h2>
      <section class="table-wrap" tabindex={0} aria-label="History table">
        <table class="history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Old text</th>
              <th scope="col">New text</th>
            </tr>
          </thead>
          <tbody>
            {p.events.map((e) => (
              <tr data-event={e.event}>
                <td>
                  <time datetime={e.created_at}>{shortTime(e.created_at)}</time>
                </td>
                <td>
                  <span class={`event event-${e.event.toLowerCase()}`}>{e.event}</span>
                </td>
                <td class="pre">{e.old_memory ?? ""}</td>
                <td class="pre">{e.new_memory ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}

export interface MemoryPageProps {
  id: string;
  memory: Memory | null;
  history: HistoryEvent[];
  derivedFrom: LinkedMemory[];
  derivedInto: LinkedMemory[];
  csrf: string;
  saved?: boolean;
  error?: string | null;
}

function ScopeTable(p: { m: Memory }) {
  const m = p.m;
  const rows: [string, string | null, string | null][] = [
    ["user", m.user_id, null],
    ["agent", m.agent_id, null],
    ["project", m.app_id, m.app_id ? href("/timeline", { project: m.app_id }) : null],
    ["session", m.run_id, m.run_id ? href("/timeline", { project: m.app_id, session: m.run_id }) : null],
    ["created", m.created_at, null],
    ["updated", m.updated_at, null],
    ["id", m.id, null],
  ];
  return (
    <dl class="scope-table">
      {rows.map(([k, v, link]) => (
        <div>
          <dt>{k}</dt>
          <dd>
            {v === null ? <span class="note">—</span> : link ? <a href={link}>{v}</a> : <code>{v}</code>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function EditForm(p: { m: Memory; csrf: string }) {
  const m = p.m;
  return (
    <section class="panel" aria-labelledby="h-edit">
      <h2 id="h-edit">Edit</h2>
      <form method="post" action={`/memory/${encodeURIComponent(m.id)}`} class="edit">
        <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
        <label class="field wide">
          <span>Text</span>
          <textarea name="memory" rows={8} required>
            {m.memory}
          </textarea>
        </label>
        <label class="field wide">
          <span>Categories (comma-separated)</span>
          <input type="text" name="categories" value={m.categories.join(", ")} />
        </label>
        <label class="field wide">
          <span>Metadata (JSON object)</span>
          <textarea name="metadata" rows={8} class="mono" spellcheck={false}>
            {JSON.stringify(m.metadata, null, 2)}
          </textarea>
        </label>
        <button type="submit" class="button primary">
          Save
        </button>
      </form>
    </section>
  );
}

export function MemoryPage(p: MemoryPageProps) {
  const m = p.memory;
  return (
    <>
      <p class="crumbs">
        <a href="/">← Search</a>
        {m?.app_id ? (
          <>
            {" · "}
            <a href={href("/timeline", { project: m.app_id })}>{`${projectLabel(m.app_id)} timeline`}</a>
          </>
        ) : null}
      </p>
      {p.saved ? (
        <p class="ok" role="status">
          Saved.
        </p>
      ) : null}
      {p.error ? (
        <p class="error" role="alert">
          {p.error}
        </p>
      ) : null}
      {m ? (
        <>
          <header class="memory-head">
            <h1>
              <KindBadge m={m} /> Memory
            </h1>
            <form
              method="post"
              action={`/memory/${encodeURIComponent(m.id)}/delete`}
              class="delete-form"
              data-delete={m.id}
            >
              <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
              <button type="submit" class="button danger">
                Delete
              </button>
            </form>
          </header>
          <section class="panel" aria-labelledby="h-text">
            <h2 id="h-text">Text</h2>
            {sourceKind(m) === "episode" ? (
              <EpisodeBlock m={m} open />
            ) : (
              <p class="pre memory-text">{m.memory}</p>
            )}
            {m.categories.length > 0 ? (
              <p class="cats">
                {m.categories.map((c) => (
                  <a class="chip" href={href("/", { category: c })}>
                    {c}
                  </a>
                ))}
              </p>
            ) : null}
          </section>
          <section class="panel" aria-labelledby="h-scope">
            <h2 id="h-scope">Scope</h2>
            <ScopeTable m={m} />
          </section>
          <section class="panel" aria-labelledby="h-meta">
            <h2 id="h-meta">Metadata</h2>
            <pre class="json" tabindex={0}>
              {JSON.stringify(m.metadata, null, 2)}
            </pre>
          </section>
        </>
      ) : (
        <>
          <h1>Memory deleted</h1>
          <p class="note">{`${p.id} is not in the store any more. Its history is kept until its user is forgotten.`}</p>
        </>
      )}
      <Linked title="Derived from" items={p.derivedFrom} empty="Not derived from other memories." />
      <Linked title="Derived into" items={p.derivedInto} empty="No insight cites this memory." />
      <HistoryTable events={p.history} />
      {m ? <EditForm m={m} csrf={p.csrf} /> : null}
    </>
  );
}

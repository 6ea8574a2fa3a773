import type { Memory } from "../../core/types.js";
import type { ProjectSummary, SessionSummary } from "../catalog.js";
import { projectLabel, sourceKind } from "../memory-facts.js";
import { EpisodeBlock } from "./episode-block.js";
import { href, plural, shortId, shortTime } from "./format.js";
import { KindBadge } from "./memory-card.js";

export interface SessionBlock {
  session: SessionSummary;
  episodes: Memory[];
  /** Cursor to the session's older episodes, when there are more. */
  more: string | null;
}

export interface TimelineProps {
  projects: ProjectSummary[];
  project: string | null;
  /** Sessions of the project, newest first (one page). */
  blocks: SessionBlock[];
  /** Offset of the next page of sessions. */
  nextOffset: number | null;
  /** One session shown on its own (all its episodes, paged). */
  single: boolean;
  indexing: boolean;
}

function ProjectList(p: { projects: ProjectSummary[]; current: string | null }) {
  if (p.projects.length === 0)
    return <p class="note">No projects yet: captured episodes carry their working directory.</p>;
  return (
    <nav aria-label="Projects" class="projects">
      <ul>
        {p.projects.map((x) => (
          <li>
            <a
              href={href("/timeline", { project: x.app_id ?? "" })}
              aria-current={x.app_id === p.current ? "page" : undefined}
              title={x.app_id ?? "memories without a project"}
            >
              <span class="pname">{projectLabel(x.app_id)}</span>
              <span class="pcount">{`${plural(x.sessions, "session")} · ${plural(x.memories, "memory", "memories")}`}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Episode(p: { m: Memory }) {
  const m = p.m;
  return (
    <li class="tl-item" data-id={m.id}>
      <article aria-label={`memory of ${shortTime(m.created_at)}`}>
        <header>
          <time datetime={m.created_at}>{shortTime(m.created_at)}</time>
          <KindBadge m={m} />
          <a href={`/memory/${encodeURIComponent(m.id)}`} class="open">
            open
          </a>
        </header>
        {sourceKind(m) === "episode" ? <EpisodeBlock m={m} /> : <p class="pre">{m.memory}</p>}
      </article>
    </li>
  );
}

function Session(p: { block: SessionBlock; project: string | null }) {
  const s = p.block.session;
  const id = `s-${(s.run_id ?? "none").replace(/[^\w-]/g, "_")}`;
  return (
    <section class="session" aria-labelledby={id}>
      <h2 id={id}>
        <a
          href={href("/timeline", { project: p.project ?? "", session: s.run_id ?? "" })}
          title={s.run_id ?? ""}
        >
          {s.run_id ? `Session ${shortId(s.run_id)}` : "Without a session"}
        </a>
        <span class="range">{`${shortTime(s.first)} – ${shortTime(s.last)} · ${plural(s.memories, "memory", "memories")}`}</span>
      </h2>
      <ol class="tl">
        {p.block.episodes.map((m) => (
          <Episode m={m} />
        ))}
      </ol>
      {p.block.more ? (
        <p class="more">
          <a
            class="button"
            href={href("/timeline", {
              project: p.project ?? "",
              session: s.run_id ?? "",
              cursor: p.block.more,
            })}
          >
            Older in this session
          </a>
        </p>
      ) : null}
    </section>
  );
}

export function TimelinePage(p: TimelineProps) {
  return (
    <div class="timeline-layout">
      <aside>
        <h2 class="side-title">Projects</h2>
        {p.indexing ? <p class="note">Reading your memories…</p> : null}
        <ProjectList projects={p.projects} current={p.project} />
      </aside>
      <div class="timeline">
        <h1>{p.project === null ? "Timeline" : `${projectLabel(p.project)}`}</h1>
        {p.project === null ? (
          <p class="note">Pick a project to see its sessions and episodes, newest first.</p>
        ) : (
          <>
            <p class="note path">{p.project}</p>
            {p.blocks.length === 0 ? <p class="note">No sessions.</p> : null}
            {p.blocks.map((b) => (
              <Session block={b} project={p.project} />
            ))}
            {p.nextOffset !== null && !p.single ? (
              <p class="more">
                <a
                  class="button"
                  href={href("/timeline", { project: p.project, offset: String(p.nextOffset) })}
                >
                  Older sessions
                </a>
              </p>
            ) : null}
          </>
        )}
      </div>
    </div>
  );
}

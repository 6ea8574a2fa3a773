import { snippet } from "../../core/search/snippet.js";
import type { Memory, ScoredMemory } from "../../core/types.js";
import { episodeView, projectLabel, SOURCE_LABELS, sourceKind } from "../memory-facts.js";
import { shortId, shortTime } from "./format.js";

export function Snippet(p: { text: string; q: string }) {
  const s = snippet(p.text, p.q);
  return <p class="snippet">{s.segments.map((seg) => (seg.hit ? <mark>{seg.text}</mark> : seg.text))}</p>;
}

export function KindBadge(p: { m: Memory }) {
  const kind = sourceKind(p.m);
  return <span class={`badge badge-${kind}`}>{SOURCE_LABELS[kind]}</span>;
}

/** One result: what it is, where it is from, and the text around the match. */
export function MemoryCard(p: { m: Memory | ScoredMemory; q: string; fresh?: boolean }) {
  const m = p.m;
  const kind = sourceKind(m);
  // Episodes are shown by the person's words (and the answer): the "User:" prefix is noise here.
  const text = kind === "episode" ? episodeText(m) : m.memory;
  return (
    <li class={p.fresh ? "card fresh" : "card"} data-id={m.id}>
      <article aria-labelledby={`t-${m.id}`}>
        <header>
          <KindBadge m={m} />
          {m.app_id ? (
            <span class="scope" title={m.app_id}>
              {projectLabel(m.app_id)}
            </span>
          ) : null}
          {m.run_id ? (
            <span class="scope run" title={`session ${m.run_id}`}>
              {shortId(m.run_id)}
            </span>
          ) : null}
          <time datetime={m.created_at}>{shortTime(m.created_at)}</time>
          {"score" in m ? <span class="score">{`score ${m.score.toFixed(2)}`}</span> : null}
        </header>
        <h3 id={`t-${m.id}`} class="card-title">
          <a href={`/memory/${encodeURIComponent(m.id)}`} class="card-link">
            <Snippet text={text} q={p.q} />
          </a>
        </h3>
        {m.categories.length > 0 ? (
          <p class="cats">
            {m.categories.map((c) => (
              <span class="chip">{c}</span>
            ))}
          </p>
        ) : null}
      </article>
    </li>
  );
}

function episodeText(m: Memory): string {
  const e = episodeView(m);
  return e.answer ? `${e.words} → ${e.answer}` : e.words || m.memory;
}

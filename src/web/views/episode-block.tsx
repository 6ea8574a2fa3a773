import type { Memory } from "../../core/types.js";
import { episodeView } from "../memory-facts.js";

function List(p: { title: string; items: string[]; code?: boolean }) {
  if (p.items.length === 0) return null;
  return (
    <div class="facts">
      <h3 class="label">{p.title}</h3>
      <ul class="chips">
        {p.items.map((i) => (
          <li>{p.code ? <code>{i}</code> : i}</li>
        ))}
      </ul>
    </div>
  );
}

/** An episode: the person's words, the answer, the tool trace, files and commands (when the memory has them). */
export function EpisodeBlock(p: { m: Memory; open?: boolean }) {
  const e = episodeView(p.m);
  return (
    <div class="episode">
      <div class="turn user">
        <h3 class="label">Asked</h3>
        <p class="pre">{e.words || "(no words)"}</p>
      </div>
      {e.answer ? (
        <div class="turn assistant">
          <h3 class="label">Answer</h3>
          <p class="pre">{e.answer}</p>
        </div>
      ) : null}
      {e.complete === false ? (
        <p class="warn">{`Incomplete${e.incomplete_reason ? `: ${e.incomplete_reason}` : ""}`}</p>
      ) : null}
      {e.trace.length > 0 ? (
        <details class="trace" open={p.open}>
          <summary>{`Trace (${e.trace.length} steps)`}</summary>
          <ol>
            {e.trace.map((line) => (
              <li>
                <code>{line}</code>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      <List title="Files changed" items={e.files_changed} code />
      <List title="Files read" items={e.files_read} code />
      <List title="Commands" items={e.commands} code />
      <List title="Tools" items={e.tools} />
    </div>
  );
}

import type { SecurityEventSummary } from "../../http/security-events.js";
import type { ProjectSummary } from "../catalog.js";
import { projectLabel } from "../memory-facts.js";
import { CSRF_FIELD } from "../web-auth.js";
import { plural } from "./format.js";

export interface PrivacyProps {
  userId: string;
  projects: ProjectSummary[];
  csrf: string;
  /** Counts and the most recent of each kind (null: the page was started without a data directory). */
  securityEvents?: SecurityEventSummary | null;
  message?: string | null;
  error?: string | null;
  /** Team mode with an admin token: may export any user's memories. */
  admin?: boolean | undefined;
}

export function PrivacyPage(p: PrivacyProps) {
  return (
    <>
      <h1>Privacy</h1>
      {p.message ? (
        <p class="ok" role="status">
          {p.message}
        </p>
      ) : null}
      {p.error ? (
        <p class="error" role="alert">
          {p.error}
        </p>
      ) : null}
      <section class="panel" aria-labelledby="h-export">
        <h2 id="h-export">Export</h2>
        <p>
          {`All memories of ${p.userId}, the same file `}
          <code>mcp-mitm-mem0 export</code>
          {" writes."}
        </p>
        <p class="actions">
          <a class="button" href="/export?format=jsonl" download>
            Download JSONL
          </a>
          <a class="button" href="/export?format=json" download>
            Download JSON
          </a>
        </p>
        {p.admin ? (
          <form method="get" action="/export" class="stack" id="admin-export">
            <label class="field">
              <span>Admin: export the memories of user</span>
              <input type="text" name="user" autocomplete="off" required />
            </label>
            <input type="hidden" name="format" value="jsonl" />
            <button type="submit" class="button">
              Export that user (JSONL)
            </button>
          </form>
        ) : null}
      </section>
      <section class="panel" aria-labelledby="h-import">
        <h2 id="h-import">Import</h2>
        <form method="post" action="/import" enctype="multipart/form-data" id="import-form" class="stack">
          <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
          <label class="field wide">
            <span>A file written by export (JSONL or JSON)</span>
            <input type="file" name="file" accept=".jsonl,.json,application/json" required />
          </label>
          <button type="submit" class="button">
            Import
          </button>
          <progress id="import-progress" max={100} value={0} hidden aria-label="Import progress" />
          <p id="import-status" class="note" role="status" />
        </form>
        <p class="note">Running an import twice adds nothing new.</p>
      </section>
      {p.securityEvents ? <SecurityEventsPanel events={p.securityEvents} /> : null}
      <section class="panel danger-zone" aria-labelledby="h-scope">
        <h2 id="h-scope">Delete a project or a session</h2>
        <form method="post" action="/privacy/delete-scope" class="stack confirm-form">
          <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
          <label class="field wide">
            <span>Project</span>
            <select name="project" required>
              <option value="">choose…</option>
              {p.projects
                .filter((x) => x.app_id !== null)
                .map((x) => (
                  <option
                    value={x.app_id!}
                  >{`${projectLabel(x.app_id)} — ${plural(x.memories, "memory", "memories")}`}</option>
                ))}
            </select>
          </label>
          <label class="field wide">
            <span>Session id (empty: the whole project)</span>
            <input type="text" name="session" autocomplete="off" />
          </label>
          <label class="field wide">
            <span>Type DELETE to confirm</span>
            <input type="text" name="confirm" autocomplete="off" required data-expect="DELETE" />
          </label>
          <button type="submit" class="button danger">
            Delete these memories
          </button>
        </form>
      </section>
      <section class="panel danger-zone" aria-labelledby="h-forget">
        <h2 id="h-forget">Forget a user</h2>
        <p>Deletes every memory of the user and their history. This cannot be undone.</p>
        <form method="post" action="/privacy/forget" class="stack confirm-form">
          <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
          <label class="field wide">
            <span>User id to forget</span>
            <input type="text" name="user" value={p.userId} autocomplete="off" required />
          </label>
          <label class="field wide">
            <span>Type the user id again to confirm</span>
            <input type="text" name="confirm" autocomplete="off" required data-match="user" />
          </label>
          <button type="submit" class="button danger">
            Forget this user
          </button>
        </form>
      </section>
    </>
  );
}

/** Fields of an event shown under "details": never content, tokens only as fingerprints (as recorded). */
const DETAIL_KEYS = ["host", "origin", "method", "status", "code", "request", "presented"] as const;

function SecurityEventsPanel({ events }: { events: SecurityEventSummary }) {
  const kinds = Object.entries(events).sort((a, b) => (a[1].last.ts < b[1].last.ts ? 1 : -1));
  return (
    <section class="panel" aria-labelledby="h-security" id="security-events">
      <h2 id="h-security">Security events</h2>
      <p class="note">
        {
          "Refused requests, failed TLS handshakes and rejected keys, from every process on this data directory (also in "
        }
        <code>mcp-mitm-mem0 status</code>
        {" and "}
        <code>doctor</code>
        {")."}
      </p>
      {kinds.length === 0 ? (
        <p>None recorded.</p>
      ) : (
        <section class="table-wrap" tabindex={0} aria-label="Security events by kind">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Count</th>
                <th scope="col">Most recent</th>
                <th scope="col">Reason</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {kinds.map(([kind, e]) => (
                <tr data-kind={kind}>
                  <th scope="row">
                    <code>{kind}</code>
                  </th>
                  <td>{String(e.count)}</td>
                  <td>
                    <time datetime={e.last.ts}>{e.last.ts.replace("T", " ").slice(0, 19)}</time>
                  </td>
                  <td>{e.last.reason}</td>
                  <td>{e.last.peer ?? "—"}</td>
                  <td>
                    {DETAIL_KEYS.filter((k) => e.last[k] !== undefined)
                      .map((k) => `${k}: ${e.last[k]}`)
                      .join(", ")}
                    {e.last.fix ? <p class="note">{String(e.last.fix)}</p> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

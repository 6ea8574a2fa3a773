import { $, $$, fromHtml } from "./dom.js";

/** Search as you type: the result list is fetched (server-rendered) and swapped in; older answers are dropped. */
export function initSearch(): void {
  const form = $<HTMLFormElement>("#search-form");
  if (!form) return;
  let controller: AbortController | null = null;
  let timer = 0;

  const params = (): URLSearchParams => {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim() !== "") p.set(k, v);
    if (p.get("sort") === "relevance") p.delete("sort");
    return p;
  };

  const run = async () => {
    controller?.abort();
    controller = new AbortController();
    const p = params();
    const started = performance.now();
    try {
      const res = await fetch(`/fragment/results?${p}`, {
        signal: controller.signal,
        credentials: "same-origin",
      });
      if (!res.ok) return;
      const html = await res.text();
      const current = $("#results");
      const next = fromHtml(html).firstElementChild;
      if (current && next) current.replaceWith(next);
      history.replaceState(null, "", p.toString() ? `/?${p}` : "/");
      document.body.dataset.searchMs = String(Math.round(performance.now() - started));
      document.body.dataset.searchDone = String(Number(document.body.dataset.searchDone ?? "0") + 1);
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    }
  };

  form.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, 120);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    window.clearTimeout(timer);
    void run();
  });

  // "More results": the next page appended in place.
  document.addEventListener("click", async (e) => {
    const more = (e.target as Element).closest<HTMLAnchorElement>("#more");
    if (!more) return;
    e.preventDefault();
    const url = new URL(more.href);
    url.searchParams.set("append", "1");
    const res = await fetch(`/fragment/results?${url.searchParams}`, { credentials: "same-origin" });
    if (!res.ok) return;
    const cards = $("#cards");
    const first = cards?.children.length ?? 0;
    cards?.append(fromHtml(await res.text()));
    const next = res.headers.get("x-next-cursor");
    if (next) {
      url.searchParams.delete("append");
      url.searchParams.set("cursor", next);
      more.href = `/?${url.searchParams}`;
    } else more.closest(".more")?.remove();
    $<HTMLAnchorElement>(".card-link", cards?.children[first] ?? document)?.focus();
  });
}

/** Keyboard: "/" focuses the search box; j/k (or arrow keys) move between results; Escape leaves the box. */
export function initKeys(): void {
  document.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement;
    const typing = target.matches("input, textarea, select, [contenteditable]");
    if (e.key === "Escape" && typing) {
      target.blur();
      return;
    }
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    const q = $<HTMLInputElement>("#q");
    if (e.key === "/" && q) {
      e.preventDefault();
      q.focus();
      q.select();
      return;
    }
    const down = e.key === "j" || e.key === "ArrowDown";
    const up = e.key === "k" || e.key === "ArrowUp";
    if (!down && !up) return;
    const links = $$<HTMLAnchorElement>(".card-link, .tl-item .open");
    if (links.length === 0) return;
    e.preventDefault();
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    const next = at === -1 ? 0 : Math.max(0, Math.min(links.length - 1, at + (down ? 1 : -1)));
    links[next]?.focus();
    links[next]?.scrollIntoView({ block: "nearest" });
  });
}

import { $, $$, fromHtml } from "./dom.js";

interface Counters {
  capture: {
    running: boolean;
    url: string | null;
    counters: Record<string, number>;
    outbox: { pending: number; done: number; failed: number };
  } | null;
  store: { backend: string; reachable: boolean; error: string | null };
}

function setCounter(name: string, value: string): void {
  for (const dd of $$(`[data-counter="${name}"]`)) {
    if (dd.textContent === value) continue;
    dd.textContent = value;
    dd.classList.add("bump");
    window.setTimeout(() => dd.classList.remove("bump"), 1200);
  }
}

function showCounters(c: Counters): void {
  const state = $("#live-state");
  const text = $("#live-text");
  const cap = c.capture;
  let label: string;
  let s: string;
  if (!c.store.reachable) {
    s = "down";
    label = `${c.store.backend} unreachable${c.store.error ? ` (${c.store.error})` : ""}`;
  } else if (cap?.running) {
    s = "running";
    label = "proxy running";
  } else {
    s = "stopped";
    label = "proxy not running";
  }
  if (state) state.dataset.state = s;
  if (text) text.textContent = label;
  const n = cap?.counters ?? {};
  for (const name of ["exchanges", "stored", "skippedNoise", "captureFailures"]) {
    setCounter(name, cap ? String(n[name] ?? 0) : "–");
  }
  setCounter("outbox", cap ? String(cap.outbox.pending) : "–");
  setCounter("store", c.store.reachable ? c.store.backend : `${c.store.backend}: unreachable`);
}

/** Server-sent events: counters update in place; new memories appear at the top of the newest-first list. */
export function initLive(): void {
  if (!("EventSource" in window)) return;
  const events = new EventSource("/events");
  let fresh = 0;
  events.addEventListener("counters", (e) => showCounters(JSON.parse((e as MessageEvent).data) as Counters));
  events.addEventListener("memory", (e) => {
    const m = JSON.parse((e as MessageEvent).data) as { id: string; html: string; app_id: string | null };
    const results = $("#results");
    const cards = $("#cards");
    if (results?.dataset.live === "prepend" && cards) {
      if (!cards.querySelector(`[data-id="${CSS.escape(m.id)}"]`)) cards.prepend(fromHtml(m.html));
      return;
    }
    fresh++;
    const note = $("#new-note");
    const link = $("#new-link");
    if (note && link) {
      link.textContent = `${fresh} new ${fresh === 1 ? "memory" : "memories"} — show the newest`;
      note.hidden = false;
    }
  });
  document.body.dataset.live = "connected";
}

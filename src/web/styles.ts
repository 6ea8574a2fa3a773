/**
 * The page's stylesheet, served as /assets/style.<hash>.css. Light and dark
 * through `prefers-color-scheme`; colours checked for WCAG AA contrast; no
 * inline styles anywhere (the CSP forbids them).
 */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --panel: #ffffff; --text: #1d1d1f; --muted: #5b5b66; --line: #d9d9de;
  --accent: #1f5fbf; --accent-text: #ffffff; --mark: #ffe58a; --mark-text: #1d1d1f;
  --danger: #b3261e; --ok: #1d6b32; --warn: #8a5300;
  --episode: #e3efff; --episode-text: #17407a; --hand: #eee9ff; --hand-text: #4a2f93;
  --insight: #e4f6e8; --insight-text: #1d5a2c; --chip: #efeff2;
  --bar: #3f7fd9; --bar-part: #16366b; --grid: #e3e3e8;
  --focus: #1f5fbf;
  --radius: 8px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  font-size: 16px; line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121316; --panel: #1b1c20; --text: #ececf0; --muted: #a6a6b3; --line: #33343b;
    --accent: #8ab4ff; --accent-text: #0d1a33; --mark: #7a5d00; --mark-text: #fff6d6;
    --danger: #ff8a80; --ok: #7bd88f; --warn: #ffc66d;
    --episode: #1d2f4d; --episode-text: #b9d3ff; --hand: #2c2347; --hand-text: #d6c9ff;
    --insight: #1c3824; --insight-text: #b5e8c1; --chip: #2a2b31;
    --bar: #6fa2f0; --bar-part: #c4dbff; --grid: #2c2d33;
    --focus: #8ab4ff;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.skip { position: absolute; left: 8px; top: -48px; background: var(--panel); padding: 8px 12px; z-index: 10; }
.skip:focus { top: 8px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.88em; }
h1 { font-size: 1.5rem; margin: 0.4rem 0 0.8rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
h3, h4 { margin: 0; }
h3.label { font-size: 0.8rem; font-weight: 650; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin-bottom: 0.2rem; }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding: 0.6rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 5; }
.brand { display: flex; align-items: center; gap: 0.4rem; font-weight: 650; }
.logo { color: var(--accent); }
.who { font-weight: 400; color: var(--muted); font-size: 0.85rem; border: 1px solid var(--line); border-radius: 999px; padding: 0 0.5rem; }
.top nav ul { list-style: none; display: flex; gap: 0.25rem; margin: 0; padding: 0; flex-wrap: wrap; }
.top nav a { display: inline-block; padding: 0.35rem 0.7rem; border-radius: var(--radius); text-decoration: none; color: var(--text); }
.top nav a[aria-current="page"] { background: var(--accent); color: var(--accent-text); }
.top nav a:hover:not([aria-current="page"]) { background: var(--chip); }
.live { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.9rem; font-size: 0.8rem; color: var(--muted); }
.live-state { display: inline-flex; align-items: center; gap: 0.35rem; }
.dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: var(--muted); display: inline-block; }
.live-state[data-state="running"] .dot { background: var(--ok); }
.live-state[data-state="stopped"] .dot { background: var(--warn); }
.live-state[data-state="down"] .dot { background: var(--danger); }
.counters { display: flex; flex-wrap: wrap; gap: 0.2rem 0.8rem; margin: 0; }
.counters div { display: flex; gap: 0.25rem; }
.counters dt { margin: 0; }
.counters dd { margin: 0; font-weight: 650; color: var(--text); font-variant-numeric: tabular-nums; }
.counters dd.bump { color: var(--accent); }

main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
.note { color: var(--muted); }
.error { color: var(--danger); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.crumbs { margin: 0 0 0.5rem; }

.search { display: grid; gap: 0.6rem; margin-bottom: 1rem; }
.q input { width: 100%; font-size: 1.1rem; padding: 0.65rem 0.8rem; border: 2px solid var(--line); border-radius: var(--radius); background: var(--panel); color: var(--text); }
.q input:focus-visible { border-color: var(--focus); outline-offset: 0; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 0.75rem; align-items: end; border: 0; padding: 0; margin: 0; }
.field { display: grid; gap: 0.15rem; font-size: 0.85rem; color: var(--muted); min-width: 0; }
.field > span { font-weight: 600; }
.field select, .field input, .field textarea { font: inherit; font-size: 0.95rem; color: var(--text); background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.5rem; max-width: 16rem; }
.field.wide { width: 100%; }
.field.wide input, .field.wide textarea, .field.wide select { max-width: none; width: 100%; }
.button { display: inline-block; font: inherit; font-size: 0.95rem; padding: 0.4rem 0.9rem; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--text); cursor: pointer; text-decoration: none; }
.button:hover { border-color: var(--accent); }
.button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
.button.danger { color: var(--danger); border-color: var(--danger); }
.button.danger:hover { background: var(--danger); color: var(--panel); }
.button[disabled] { opacity: 0.55; cursor: not-allowed; }

.results-heading { font-size: 0.9rem; color: var(--muted); font-weight: 600; }
.cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.6rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.7rem 0.9rem; }
.card:focus-within { border-color: var(--focus); }
.card.fresh { border-left: 4px solid var(--ok); }
.card header { display: flex; flex-wrap: wrap; gap: 0.3rem 0.6rem; align-items: center; font-size: 0.8rem; color: var(--muted); margin-bottom: 0.3rem; }
.card-title { font-size: 1rem; font-weight: 400; }
.card-link { color: var(--text); text-decoration: none; display: block; }
.card-link:hover .snippet { text-decoration: underline; text-decoration-color: var(--accent); }
.snippet { margin: 0; overflow-wrap: anywhere; }
mark { background: var(--mark); color: var(--mark-text); border-radius: 3px; padding: 0 0.1em; }
.badge { font-size: 0.72rem; font-weight: 650; padding: 0.05rem 0.45rem; border-radius: 999px; background: var(--chip); color: var(--text); white-space: nowrap; }
.badge-episode { background: var(--episode); color: var(--episode-text); }
.badge-hand { background: var(--hand); color: var(--hand-text); }
.badge-insight { background: var(--insight); color: var(--insight-text); }
.scope { font-family: ui-monospace, monospace; }
.score { margin-left: auto; }
.cats { margin: 0.4rem 0 0; display: flex; flex-wrap: wrap; gap: 0.3rem; }
.chip { font-size: 0.78rem; background: var(--chip); color: var(--text); border-radius: 999px; padding: 0.05rem 0.5rem; text-decoration: none; }
a.chip:hover { outline: 1px solid var(--accent); }
.more { text-align: center; margin: 1rem 0; }

.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.9rem 1rem; margin-bottom: 0.9rem; }
.memory-head { display: flex; gap: 1rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
.memory-head h1 { display: flex; gap: 0.5rem; align-items: center; }
.memory-text { font-size: 1.02rem; }
.scope-table { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.5rem 1rem; margin: 0; }
.scope-table dt { font-size: 0.78rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.scope-table dd { margin: 0; overflow-wrap: anywhere; }
.json { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; max-height: 24rem; margin: 0; }
.links { margin: 0; padding-left: 1.1rem; }
.links li { margin: 0.2rem 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
.history td:nth-child(3), .history td:nth-child(4) { min-width: 12rem; }
.event { font-weight: 700; font-size: 0.78rem; }
.event-add { color: var(--ok); } .event-update { color: var(--accent); } .event-delete { color: var(--danger); }
.edit, .stack { display: grid; gap: 0.7rem; justify-items: start; }
.inline-form { display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: end; }
.danger-zone { border-color: var(--danger); }
.actions { display: flex; gap: 0.6rem; flex-wrap: wrap; }
#import-status:empty { display: none; }
progress { width: 100%; max-width: 24rem; height: 1rem; }

.episode { display: grid; gap: 0.6rem; }
.turn { border-left: 3px solid var(--line); padding-left: 0.7rem; }
.turn.user { border-color: var(--accent); }
.turn.assistant { border-color: var(--ok); }
.trace ol { margin: 0.3rem 0 0; padding-left: 1.4rem; font-size: 0.88rem; }
.trace li { overflow-wrap: anywhere; }
.trace summary { cursor: pointer; color: var(--muted); font-weight: 600; font-size: 0.88rem; }
.facts ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.3rem; }
.facts li { background: var(--chip); border-radius: 6px; padding: 0.05rem 0.4rem; font-size: 0.85rem; overflow-wrap: anywhere; }

.timeline-layout { display: grid; grid-template-columns: 16rem 1fr; gap: 1.2rem; align-items: start; }
.side-title { font-size: 0.85rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.projects ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
.projects a { display: grid; padding: 0.4rem 0.6rem; border-radius: 6px; text-decoration: none; color: var(--text); border: 1px solid transparent; }
.projects a:hover { border-color: var(--line); }
.projects a[aria-current="page"] { background: var(--panel); border-color: var(--accent); }
.pname { font-weight: 600; overflow-wrap: anywhere; }
.pcount { font-size: 0.8rem; color: var(--muted); }
.path { font-family: ui-monospace, monospace; overflow-wrap: anywhere; margin-top: -0.5rem; }
.session { margin-bottom: 1.4rem; }
.session h2 { display: flex; flex-wrap: wrap; gap: 0.2rem 0.8rem; align-items: baseline; }
.range { font-size: 0.82rem; font-weight: 400; color: var(--muted); }
.tl { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 2px solid var(--line); display: grid; gap: 0.7rem; }
.tl-item article { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.7rem 0.9rem; }
.tl-item header { display: flex; gap: 0.6rem; align-items: center; font-size: 0.8rem; color: var(--muted); margin-bottom: 0.4rem; }
.tl-item .open { margin-left: auto; }

.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.8rem; margin: 0; }
.chart figcaption { font-weight: 600; margin-bottom: 0.5rem; }
.chart svg { width: 100%; height: auto; display: block; }

.chart .bar { fill: var(--bar); }
.chart .bar.part { fill: var(--bar-part); }
.chart .grid { stroke: var(--grid); stroke-width: 1; }
.chart text { fill: var(--muted); font-size: 12px; }
.chart svg.bars text { font-size: 14px; }
.chart svg.bars { max-width: 40rem; }
.chart text.label { fill: var(--text); }
.legend { font-size: 0.8rem; color: var(--muted); margin: 0.4rem 0 0; display: flex; align-items: center; gap: 0.35rem; }
.key { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; }
.key.all { background: var(--bar); } .key.part { background: var(--bar-part); }
.data-table { margin-bottom: 1rem; }
.insights { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.8rem; }
ol.insights { list-style: decimal; padding-left: 1.4rem; }
.insights p { margin: 0.15rem 0; }
.evidence { font-size: 0.85rem; color: var(--muted); }

.toasts { position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); display: grid; gap: 0.5rem; z-index: 20; width: min(30rem, calc(100% - 2rem)); }
.toast { background: var(--text); color: var(--bg); border-radius: var(--radius); padding: 0.6rem 0.9rem; display: flex; gap: 0.8rem; align-items: center; justify-content: space-between; box-shadow: 0 4px 16px rgba(0,0,0,0.25); }
.toast button { font: inherit; background: transparent; color: var(--bg); border: 1px solid var(--bg); border-radius: 6px; padding: 0.2rem 0.7rem; cursor: pointer; font-weight: 650; }
.refusal { max-width: 36rem; }

@media (max-width: 760px) {
  .top { position: static; padding: 0.5rem 0.75rem; }
  .live { margin-left: 0; width: 100%; }
  main { padding: 0.75rem; }
  .timeline-layout { grid-template-columns: 1fr; }
  .field select, .field input { max-width: 100%; }
  .filters .field { flex: 1 1 9rem; }
  .filters .field select, .filters .field input { width: 100%; }
  .tl { padding-left: 0.6rem; }
}
`;
